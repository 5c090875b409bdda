/*
 * status: prints the status of the four PINs of a My Number Card (no try is spent), then
 * verifies one PIN read from stdin, with the lockout guard of the library.
 *
 *   status STATE_FILE [auth|sign|residence|text] [--allow-last-try] [--lang ja|en]
 *
 * The card is the virtual card saved at STATE_FILE. Exit codes: 0 verified, 3 wrong PIN,
 * 4 blocked, 5 last try refused, 6 invalid format, 1 anything else.
 */
#define _DEFAULT_SOURCE /* explicit_bzero */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mynacard.h"

static int japanese = 0;

static const char *pin_name(uint32_t kind) {
    static const char *en[] = {"signature password", "user-authentication PIN",
                               "residence PIN", "text-input-assist PIN"};
    static const char *ja[] = {"署名用電子証明書の暗証番号", "利用者証明用電子証明書の暗証番号",
                               "住民基本台帳用の暗証番号", "券面入力補助用の暗証番号"};
    return kind < 4 ? (japanese ? ja[kind] : en[kind]) : "?";
}

/* Prints the last error's message, whatever its length (the length-query pattern). */
static void print_error(const char *what, mynacard_status status) {
    size_t needed = 0;
    mynacard_last_error_message(NULL, 0, &needed);
    char *msg = malloc(needed);
    if (msg != NULL && mynacard_last_error_message(msg, needed, NULL) == MYNACARD_OK) {
        fprintf(stdout, "%s: %s: %s\n", what, mynacard_status_name(status), msg);
    }
    free(msg);
}

static int exit_code(mynacard_status s) {
    switch (s) {
    case MYNACARD_OK: return 0;
    case MYNACARD_WRONG_PIN: return 3;
    case MYNACARD_BLOCKED: return 4;
    case MYNACARD_LAST_TRY_REFUSED: return 5;
    case MYNACARD_INVALID_SECRET: return 6;
    default: return 1;
    }
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s STATE_FILE [auth|sign|residence|text] [--allow-last-try] [--lang ja|en]\n", argv[0]);
        return 2;
    }
    uint32_t kind = MYNACARD_PIN_USER_AUTH;
    uint32_t flags = MYNACARD_FLAG_NONE;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "auth") == 0) kind = MYNACARD_PIN_USER_AUTH;
        else if (strcmp(argv[i], "sign") == 0) kind = MYNACARD_PIN_SIGNATURE;
        else if (strcmp(argv[i], "residence") == 0) kind = MYNACARD_PIN_RESIDENCE;
        else if (strcmp(argv[i], "text") == 0) kind = MYNACARD_PIN_TEXT_ASSIST;
        else if (strcmp(argv[i], "--allow-last-try") == 0) flags |= MYNACARD_FLAG_ALLOW_LAST_TRY;
        else if (strcmp(argv[i], "--lang") == 0 && i + 1 < argc) japanese = strcmp(argv[++i], "ja") == 0;
        else { fprintf(stderr, "unknown argument: %s\n", argv[i]); return 2; }
    }
    mynacard_set_language(japanese ? MYNACARD_LANG_JA : MYNACARD_LANG_EN);

    mynacard_card *card = NULL;
    mynacard_status s = mynacard_open_virtual(argv[1], &card);
    if (s != MYNACARD_OK) {
        print_error("open", s);
        return 1;
    }

    mynacard_pin_status all[4];
    size_t count = 0;
    s = mynacard_read_pin_status_all(card, all, 4, &count);
    if (s != MYNACARD_OK) {
        print_error("status", s);
        mynacard_close(card);
        return 1;
    }
    for (size_t i = 0; i < count; i++) {
        if (all[i].blocked)
            printf(japanese ? "%s: ロック中\n" : "%s: blocked\n", pin_name(all[i].kind));
        else
            printf(japanese ? "%s: 残り %d 回（%u 回中）\n" : "%s: %d of %u tries left\n",
                   pin_name(all[i].kind), all[i].tries_left, all[i].limit);
    }

    char pin[64];
    printf(japanese ? "%sを入力してください:\n" : "Enter the %s:\n", pin_name(kind));
    if (fgets(pin, sizeof pin, stdin) == NULL) {
        mynacard_close(card);
        return 1;
    }
    size_t len = strcspn(pin, "\r\n");
    s = mynacard_verify(card, kind, (const uint8_t *)pin, len, flags);
    explicit_bzero(pin, sizeof pin); /* the header asks callers to zeroize their copies */
    if (s == MYNACARD_OK) {
        printf(japanese ? "照合しました。\n" : "verified\n");
    } else {
        print_error("verify", s);
        if (mynacard_last_error_tries_left() >= 0)
            printf(japanese ? "残り回数: %d\n" : "tries left: %d\n", mynacard_last_error_tries_left());
    }
    mynacard_unpower(card);
    mynacard_close(card);
    return exit_code(s);
}
