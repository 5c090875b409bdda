/*
 * kiosk_reset: the guided PIN-reset flow of a self-service kiosk, driven from C through the
 * kiosk state machine (the same steps and texts as the myna-kiosk terminal kiosk). Each step's
 * text is printed; answers are read from stdin, one per line (a menu number, y/n, the word of
 * a confirmation, or a secret). The card is the virtual card saved at STATE_FILE; the terminal
 * is the library's stand-in kiosk authority (not the real issuer protocol).
 *
 *   kiosk_reset STATE_FILE [--lang ja|en]
 *
 * At the end it prints the number of APDU exchanges with the card, and exits with the kiosk's
 * outcome code (0: the PIN was reset).
 */
#define _DEFAULT_SOURCE /* explicit_bzero */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mynacard.h"

static void print_error(const char *what, mynacard_status status) {
    size_t needed = 0;
    mynacard_last_error_message(NULL, 0, &needed);
    char *msg = malloc(needed);
    if (msg != NULL && mynacard_last_error_message(msg, needed, NULL) == MYNACARD_OK)
        printf("%s: %s: %s\n", what, mynacard_status_name(status), msg);
    free(msg);
}

/* Prints text `choice` of the current step (0: the step itself), with a prefix. */
static void print_text(mynacard_kiosk *k, uint32_t choice, const char *prefix) {
    size_t needed = 0;
    mynacard_kiosk_text(k, choice, NULL, 0, &needed);
    char *t = malloc(needed);
    if (t != NULL && mynacard_kiosk_text(k, choice, t, needed, NULL) == MYNACARD_OK)
        printf("%s%s\n", prefix, t);
    free(t);
}

/* One line of stdin without its end; 0 at the end of the input. */
static int read_line(char *buf, size_t cap) {
    if (fgets(buf, (int)cap, stdin) == NULL) return 0;
    buf[strcspn(buf, "\r\n")] = '\0';
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s STATE_FILE [--lang ja|en]\n", argv[0]);
        return 2;
    }
    int japanese = argc >= 4 && strcmp(argv[2], "--lang") == 0 && strcmp(argv[3], "ja") == 0;
    mynacard_set_language(japanese ? MYNACARD_LANG_JA : MYNACARD_LANG_EN);

    mynacard_kiosk *k = NULL;
    mynacard_status s = mynacard_kiosk_new(MYNACARD_PLACE_KIOSK_BOTH_JPKI, NULL,
                                           MYNACARD_ROLE_SELF_SERVICE_KIOSK, "virtual card", &k);
    if (s != MYNACARD_OK) {
        print_error("kiosk", s);
        return 1;
    }
    char line[128];
    int outcome = -1;
    while (outcome < 0) {
        mynacard_kiosk_step step;
        s = mynacard_kiosk_next(k, &step);
        if (s != MYNACARD_OK) {
            print_error("next", s);
            break;
        }
        switch (step.kind) {
        case MYNACARD_STEP_HEADING:
            printf("\n[%u/%u] ", step.stage, step.stages);
            print_text(k, 0, "");
            break;
        case MYNACARD_STEP_INFO:
            print_text(k, 0, "");
            break;
        case MYNACARD_STEP_INSERT_CARD:
            print_text(k, 0, "? ");
            if (!read_line(line, sizeof line) || strcmp(line, "q") == 0) {
                s = mynacard_kiosk_answer(k, MYNACARD_ANSWER_QUIT, 0);
                break;
            }
            s = mynacard_kiosk_insert_virtual(k, argv[1]);
            if (s != MYNACARD_OK) print_error("insert", s);
            break;
        case MYNACARD_STEP_MENU:
            for (uint32_t i = 1; i <= step.choice_count; i++) {
                char prefix[16];
                snprintf(prefix, sizeof prefix, "  %u. ", i);
                print_text(k, i, prefix);
            }
            print_text(k, 0, "? ");
            if (!read_line(line, sizeof line) || strcmp(line, "q") == 0) {
                s = mynacard_kiosk_answer(k, MYNACARD_ANSWER_QUIT, 0);
            } else if (step.multiple) {
                /* Comma-separated numbers; none is an empty line. */
                uint32_t picks[16];
                size_t n = 0;
                for (char *t = strtok(line, ","); t != NULL && n < 16; t = strtok(NULL, ","))
                    picks[n++] = (uint32_t)strtoul(t, NULL, 10);
                s = mynacard_kiosk_answer_choices(k, picks, n);
            } else {
                char *end = NULL;
                unsigned long n = strtoul(line, &end, 10);
                s = (end != line && *end == '\0')
                        ? mynacard_kiosk_answer(k, MYNACARD_ANSWER_CHOICE, (uint32_t)n)
                        : mynacard_kiosk_answer(k, MYNACARD_ANSWER_UNRECOGNISED, 0);
            }
            break;
        case MYNACARD_STEP_YES_NO:
            print_text(k, 0, "? ");
            if (!read_line(line, sizeof line) || strcmp(line, "q") == 0)
                s = mynacard_kiosk_answer(k, MYNACARD_ANSWER_QUIT, 0);
            else if (strcmp(line, "y") == 0 || strcmp(line, "yes") == 0)
                s = mynacard_kiosk_answer(k, MYNACARD_ANSWER_YES, 0);
            else if (strcmp(line, "n") == 0 || strcmp(line, "no") == 0)
                s = mynacard_kiosk_answer(k, MYNACARD_ANSWER_NO, 0);
            else
                s = mynacard_kiosk_answer(k, MYNACARD_ANSWER_UNRECOGNISED, 0);
            break;
        case MYNACARD_STEP_CONFIRM: {
            char word[16] = "";
            mynacard_kiosk_text(k, 1, word, sizeof word, NULL);
            print_text(k, 0, "? ");
            int yes = read_line(line, sizeof line) && strcmp(line, word) == 0;
            s = mynacard_kiosk_answer(k, yes ? MYNACARD_ANSWER_YES : MYNACARD_ANSWER_NO, 0);
            break;
        }
        case MYNACARD_STEP_SECRET: {
            print_text(k, 0, "? ");
            char secret[64] = "";
            if (!read_line(secret, sizeof secret)) secret[0] = '\0'; /* empty: gave up */
            s = mynacard_kiosk_answer_secret(k, (const uint8_t *)secret, strlen(secret));
            explicit_bzero(secret, sizeof secret);
            break;
        }
        case MYNACARD_STEP_DONE:
            print_text(k, 0, "");
            outcome = step.outcome;
            break;
        default:
            break;
        }
        if (s != MYNACARD_OK && s != MYNACARD_STATE_FILE && s != MYNACARD_TRANSPORT) {
            print_error("answer", s);
            break;
        }
    }
    uint64_t exchanges = 0;
    if (mynacard_kiosk_exchanges(k, &exchanges) == MYNACARD_OK)
        printf("exchanges: %llu\n", (unsigned long long)exchanges);
    mynacard_kiosk_free(k);
    return outcome < 0 ? 1 : outcome;
}
