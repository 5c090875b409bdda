//! `--help` in the CLI's language: clap's help is written in English in the argument types
//! (`Cli`, `Command`); in Japanese this module puts the Japanese texts of the command, its
//! subcommands, its global options and its exit codes in their place, before parsing.

use clap::{Arg, ArgAction, CommandFactory};
use mynacard::pin::PinKind;

use crate::i18n::Lang;
use crate::Cli;

/// The subcommands' one-line summaries in Japanese.
const COMMANDS_JA: [(&str, &str); 10] = [
    ("status", "4つの暗証番号の残り回数を表示する（回数は減りません）"),
    (
        "verify",
        "暗証番号（sign, auth, residence, text）を照合する、またはファイル（CMS、PDF）の署名を検証する（終了コード 0 すべて有効、12 無効または署名なし、1 読めない）",
    ),
    (
        "change",
        "暗証番号を変更する: 現在の値、新しい値を2回（--pin-stdin では1回）尋ねます",
    ),
    (
        "reset",
        "端末を通して暗証番号を再設定する: 経路に必要ならもう一方のJPKIの暗証番号、新しい値を2回（--pin-stdin では1回）尋ねます",
    ),
    ("cert", "JPKIの証明書を表示または保存する（署名用の証明書は暗証番号を尋ねます）"),
    (
        "sign",
        "ファイルに署名する: SHA-256のDigestInfoへの分離署名（PKCS#1 v1.5）。書き出す前に鍵の証明書で確かめます",
    ),
    (
        "info",
        "券面入力補助APの氏名・住所・生年月日・性別を、カードの改ざん検知用の記録と照らして表示する",
    ),
    (
        "surface",
        "券面事項確認APを読む: 生年月日・性別・有効期限と券面の画像（--out で保存）。照合番号Aではマイナンバーの画像も、生年月日キーでは年齢の記録だけ。すべての記録の署名とCV証明書を検証し、カードは新しいチャレンジへの署名で存在を示します",
    ),
    (
        "card-info",
        "カードのシリアル番号・発行団体・有効期限を表示する（共通カードAP、暗証番号不要）",
    ),
    (
        "mf",
        "MFのオブジェクトとCV証明書の連鎖を検証結果とともに表示する（暗証番号不要。先に照合した暗証番号は無効になります）",
    ),
];

/// The heading of the options.
const OPTIONS: &str = "オプション";

/// The global options' help in Japanese (with their values and defaults, which clap's own
/// English notes would otherwise add).
const OPTIONS_JA: [(&str, &str); 7] = [
    ("json", "テキストの代わりに機械で読めるJSONを出力する（使い方の誤りも）"),
    (
        "lang",
        "表示の言語: ja または en（既定: LC_ALL、LC_MESSAGES、LANG の最初に設定されたものが ja で始まれば日本語、それ以外は英語）",
    ),
    ("sim_state", "仮想カードの状態ファイル（既定: ユーザーの状態ディレクトリ）"),
    (
        "reader",
        "実際のカードリーダー: 名前、またはマイナンバーカードの入った最初のリーダーを使う auto（機能 pcsc が必要）",
    ),
    (
        "wait",
        "--reader のとき、リーダー、カード、または別のプログラムがカードを放すのを待つ秒数（既定: 30）",
    ),
    ("pin_stdin", "暗証番号を尋ねる代わりに、標準入力から1行に1つずつ読む"),
    (
        "trace",
        "終了時にすべてのAPDUのやり取りを標準エラーに表示する（暗証番号とマイナンバーは伏せ字）",
    ),
];

/// The exit codes in Japanese ([`crate::exit::HELP`] in English), the PIN named by the library.
fn exit_codes_ja() -> String {
    let residence = PinKind::Residence.name(Lang::Ja);
    format!(
        "終了コード:
  0  成功
  1  その他の失敗（カードのエラー、入出力）
  2  使い方の誤り
  3  暗証番号の誤り（回数が1回減りました）
  4  暗証番号がロックされています（何も送っていません）
  5  拒否: 最後の1回には --allow-last-try が必要です（何も送っていません）
  6  不正な入力（形式の違う暗証番号など。何も送っていません）
  7  カードまたはリーダーがない、カードが抜かれたかリセットされた、仮想カードの状態が使えない
  8  結果が分かりません: `status` を実行してください（回数は減りません）
  9  {residence}の変更を元に戻しました: 古い暗証番号が有効です
 10  この経路では再設定できません。メッセージが行き先を示します（何も送っていません）
 11  {residence}の再設定が2つの参照の一方にしか届いていません: もう一度実行してください
 12  verify FILE: 署名が有効でない、または署名がありません
 13  結果を標準出力に書けませんでした（ディスクがいっぱい、パイプが閉じた）。カードの操作は
     済んでいるかもしれません: `status` を実行してください。報告を書けなかった失敗は
     その終了コードのまま、メッセージは標準エラーに出ます"
    )
}

/// The command line as clap reads it, with its help in `lang`.
pub fn command(lang: Lang) -> clap::Command {
    let cmd = Cli::command();
    if lang == Lang::En {
        return cmd;
    }
    let cmd = COMMANDS_JA.iter().fold(cmd, |c, (name, about)| {
        c.mut_subcommand(*name, |s| s.about(*about))
    });
    OPTIONS_JA
        .iter()
        .fold(cmd, |c, (id, help)| {
            c.mut_arg(*id, |a| a.help(*help).help_heading(OPTIONS))
        })
        // The values and the default are in the Japanese texts.
        .mut_arg("lang", |a| a.hide_possible_values(true))
        .mut_arg("wait", |a| a.hide_default_value(true))
        // clap's own flags, in Japanese too.
        .disable_help_flag(true)
        .disable_version_flag(true)
        .arg(
            Arg::new("help")
                .short('h')
                .long("help")
                .action(ArgAction::Help)
                // Every subcommand's `--help` too (disabling clap's flag disables theirs).
                .global(true)
                .help("ヘルプを表示する")
                .help_heading(OPTIONS),
        )
        .arg(
            Arg::new("version")
                .short('V')
                .long("version")
                .action(ArgAction::Version)
                .help("バージョンを表示する")
                .help_heading(OPTIONS),
        )
        .about(
            "マイナンバーカードの暗証番号・証明書・データを、仮想カードまたは実際のリーダーで扱う",
        )
        .after_help(exit_codes_ja())
        .subcommand_help_heading("コマンド")
        .help_template("{about-with-newline}\n使い方: {usage}\n\n{all-args}{after-help}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_subcommand_and_global_option_has_its_japanese_help() {
        let en = Cli::command();
        let named: Vec<&str> = COMMANDS_JA.iter().map(|(n, _)| *n).collect();
        for s in en.get_subcommands() {
            assert!(
                named.contains(&s.get_name()),
                "{} has no Japanese",
                s.get_name()
            );
        }
        command(Lang::En).debug_assert();
        command(Lang::Ja).debug_assert();
        let ja = command(Lang::Ja);
        for (name, about) in COMMANDS_JA {
            let s = ja.find_subcommand(name).expect(name);
            assert_eq!(s.get_about().map(|a| a.to_string()).as_deref(), Some(about));
        }
        for (id, help) in OPTIONS_JA {
            let a = ja.get_arguments().find(|a| a.get_id() == id).expect(id);
            assert_eq!(a.get_help().map(|h| h.to_string()).as_deref(), Some(help));
        }
    }
}
