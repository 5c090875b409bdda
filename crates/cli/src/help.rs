//! `--help` in the CLI's language: clap's help is written in English in the argument types
//! (`Cli`, `Command`); in Japanese this module puts the Japanese texts of the command, its
//! subcommands, its global options and its exit codes in their place, before parsing: every
//! subcommand's arguments (with their possible values and defaults in the text, where clap
//! would add them in English), `verify`'s after-help, the headings and the usage line (使い方,
//! 引数, オプション, `[オプション]`), and the summary of clap's `help` subcommand. The card's
//! words come from the library (`PinKind::name`, `CertKind::name`, `KeyKind::name`).

use clap::{Arg, ArgAction, CommandFactory};
use mynacard::cert::CertKind;
use mynacard::pin::PinKind;
use mynacard::sign::KeyKind;

use crate::data::{CertArg, KeyArg};
use crate::i18n::Lang;
use crate::pins::KindArg;
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

/// The heading of the positional arguments.
const ARGUMENTS: &str = "引数";

/// The help of the command and of every subcommand: clap's "Usage:", "Arguments:" and
/// "Options:" in Japanese (the arguments and options sit under the headings [`ARGUMENTS`] and
/// [`OPTIONS`]).
const TEMPLATE: &str = "{about-with-newline}\n使い方: {usage}\n\n{all-args}{after-help}";

/// clap's placeholder for the options in a usage line, and ours.
const USAGE_OPTIONS: (&str, &str) = ("[OPTIONS]", "[オプション]");

/// clap's placeholder for the subcommand in the command's usage line, and ours.
pub const USAGE_COMMAND: (&str, &str) = ("<COMMAND>", "<コマンド>");

/// The `help` subcommand's summary in Japanese (clap adds the subcommand itself).
const HELP_COMMAND: &str = "このヘルプ、または指定したコマンドのヘルプを表示する";

/// What `verify FILE` checks and does not check, in Japanese ([`crate::docsig::VERIFY_HELP`]).
const VERIFY_HELP_JA: &str = "\
`verify FILE` は、ファイルのすべての署名（PDFではすべての署名辞書。値を取り除かれたものも）について、\
次のことを検証します: 内容のダイジェスト、署名者の証明書による署名、signing-certificate 属性、\
署名者の鍵用途が署名を許すこと（digitalSignature または nonRepudiation）、連鎖のどの証明書も\
理解できない重要（critical）な拡張を持たないこと、J-LISのルート（受け入れたときはテストまたは仮想カードの\
階層）までの連鎖、そして署名者の示す時刻にすべての証明書が有効であること。PDFでは、最後の署名が\
自身の /Contents を除くファイル全体を覆っていなければなりません: その後ろのバイト（incremental saving \
攻撃や shadow 攻撃のような増分更新）や、除外された範囲の中のバイト（signature wrapping）があれば有効では\
ありません。それより前の署名は自身の版だけを覆い、後の版での変更は分析しません。

検証しないこと: 失効（CRLもOCSPも取得しません。失効した証明書も有効と表示されます）と、信頼できる時刻\
（署名時刻は署名者の申告で、タイムスタンプは検証しません）。事業としてJPKIの署名を検証するには、\
公的個人認証法（第17条）に基づく総務大臣の認定が必要で、認定を受ければ失効情報も得られます。";

/// A subcommand's argument in Japanese.
struct ArgJa {
    /// The subcommand.
    command: &'static str,
    /// The argument's id (its field's name).
    id: &'static str,
    /// What it is.
    help: String,
    /// Each possible value and what it means, for an argument that takes one of a list.
    values: Vec<(&'static str, String)>,
    /// Its placeholder in place of clap's English one (`<KIND>`): the values it takes. A
    /// value enum's placeholder is its values without being named here.
    placeholder: Option<String>,
}

impl ArgJa {
    fn new(command: &'static str, id: &'static str, help: impl Into<String>) -> Self {
        ArgJa {
            command,
            id,
            help: help.into(),
            values: Vec::new(),
            placeholder: None,
        }
    }

    fn placeholder(mut self, names: &[&str]) -> Self {
        self.placeholder = Some(names.join("|"));
        self
    }

    fn values<const N: usize>(mut self, values: [(&'static str, String); N]) -> Self {
        self.values = values.into();
        self
    }
}

/// "sign（署名用電子証明書の暗証番号）、auth（…）、…": the PINs as the command line names
/// them, with the library's names.
fn pin_kinds_ja() -> String {
    PinKind::ALL
        .iter()
        .map(|k| format!("{}（{}）", KindArg::name(*k), k.name(Lang::Ja)))
        .collect::<Vec<_>>()
        .join("、")
}

/// The help of "Let the verify … spend the last try" in Japanese: `what` is the verify.
fn last_try_ja(what: &str) -> String {
    format!("{what}に最後の1回を使うことを許す（値が違えば暗証番号はロックされます）")
}

/// Every subcommand's arguments in Japanese.
fn args_ja() -> Vec<ArgJa> {
    let signature = PinKind::Signature.name(Lang::Ja);
    let text_assist = PinKind::TextAssist.name(Lang::Ja);
    let certs = CertKind::ALL
        .iter()
        .map(|k| format!("{}（{}）", CertArg::name(*k), k.name(Lang::Ja)))
        .collect::<Vec<_>>()
        .join("、");
    let keys = [KeyKind::Auth, KeyKind::Sign]
        .iter()
        .map(|k| format!("{}（{}）", KeyArg::name(*k), k.name(Lang::Ja)))
        .collect::<Vec<_>>()
        .join("、");
    let pin_names = PinKind::ALL.map(KindArg::name);
    let cert_names = CertKind::ALL.map(CertArg::name);
    let key_names = [KeyKind::Auth, KeyKind::Sign].map(KeyArg::name);
    let test_hierarchy = "テストカードの O=JPKI-TEST の階層も受け入れる";
    let matching_a = "照合番号A（12桁のマイナンバー）";
    let matching_b = "照合番号B（14桁）";
    vec![
        ArgJa::new(
            "verify",
            "target",
            format!(
                "照合する暗証番号: {}。それ以外の引数は署名付きファイル（CMS、PDF）として検証します（暗証番号と同じ名前のファイルは ./sign のように書きます）",
                pin_kinds_ja()
            ),
        )
        .placeholder(&[&pin_names[..], &["FILE"]].concat()),
        ArgJa::new("verify", "allow_last_try", last_try_ja("この照合")),
        ArgJa::new(
            "verify",
            "content",
            "分離形式のCMSのとき: 署名された内容のファイル",
        ),
        ArgJa::new("verify", "accept_test_hierarchy", test_hierarchy),
        ArgJa::new(
            "verify",
            "accept_virtual_hierarchy",
            "仮想カードの階層も受け入れる（本番では使わないこと）",
        ),
        ArgJa::new(
            "change",
            "kind",
            format!("変更する暗証番号: {}", pin_kinds_ja()),
        )
        .placeholder(&pin_names),
        ArgJa::new("change", "allow_last_try", last_try_ja("現在の値の照合")),
        ArgJa::new(
            "reset",
            "kind",
            format!("再設定する暗証番号: {}", pin_kinds_ja()),
        )
        .placeholder(&pin_names),
        ArgJa::new(
            "reset",
            "terminal",
            "再設定する端末: 仮想カードでは代わりの端末認証を行います",
        )
        .values([
            (
                "counter",
                "市区町村の窓口: 4つの暗証番号のどれでも".into(),
            ),
            (
                "kiosk",
                "セルフサービスのキオスク端末: JPKIの2つの暗証番号を、それぞれもう一方を照合した後で".into(),
            ),
        ]),
        ArgJa::new(
            "reset",
            "kiosk_supports",
            "--terminal kiosk のとき、キオスク端末が再設定できる暗証番号",
        )
        .values([
            ("both", "JPKIの2つの暗証番号".into()),
            (
                "sign-only",
                format!("{signature}だけ（一部の店舗チェーンのように）"),
            ),
        ]),
        ArgJa::new(
            "reset",
            "allow_last_try",
            last_try_ja("もう一方のJPKIの暗証番号の照合"),
        ),
        ArgJa::new("cert", "kind", format!("証明書: {certs}")).placeholder(&cert_names),
        ArgJa::new("cert", "format", "出力の形式").values([
            ("text", "読みやすい要約".into()),
            ("pem", "PEM".into()),
            (
                "der",
                "DER（バイナリ。標準出力が端末のときは --out が必要）".into(),
            ),
        ]),
        ArgJa::new(
            "cert",
            "out",
            "標準出力の代わりにこのファイルに書き出す",
        ),
        ArgJa::new(
            "cert",
            "check_chain",
            "J-LISの本番のルート証明書までの連鎖も検証する",
        ),
        ArgJa::new(
            "cert",
            "accept_test_hierarchy",
            format!("--check-chain のとき、{test_hierarchy}"),
        ),
        ArgJa::new("cert", "allow_last_try", last_try_ja(&format!("{signature}の照合"))),
        ArgJa::new("sign", "key", format!("署名する鍵: {keys}")).placeholder(&key_names),
        ArgJa::new("sign", "input", "署名するファイル"),
        ArgJa::new("sign", "out", "署名の書き出し先"),
        ArgJa::new("sign", "allow_last_try", last_try_ja("暗証番号の照合")),
        ArgJa::new("sign", "format", "署名の形式").values([
            (
                "raw",
                "SHA-256のDigestInfoへのPKCS#1 v1.5の署名そのもの".into(),
            ),
            (
                "cms",
                "CMS SignedData（CAdES-B-B）の分離署名: ファイルは含みません".into(),
            ),
            (
                "cms-attached",
                "CMS SignedData（CAdES-B-B）: ファイルを含みます".into(),
            ),
            (
                "pdf",
                "PAdES B-B で署名したPDF（増分更新で署名を加えます）".into(),
            ),
        ]),
        ArgJa::new(
            "sign",
            "scheme",
            "--format raw のときの署名の方式",
        )
        .values([
            (
                "pkcs1",
                "SHA-256のDigestInfoへのPKCS#1 v1.5（P1=00）".into(),
            ),
            (
                "pss",
                "SHA-256のハッシュへのRSASSA-PSS、MGF1-SHA-256、ソルト32バイト（P1=04）".into(),
            ),
        ]),
        ArgJa::new("info", "my_number", "マイナンバーも表示する"),
        ArgJa::new("info", "open_with", "データを開くもの").values([
            (
                "pin",
                format!("{text_assist}（数字4桁）: 氏名・住所・生年月日・性別とマイナンバー"),
            ),
            ("matching-a", format!("{matching_a}: マイナンバーだけ")),
            (
                "matching-b",
                format!("{matching_b}: 氏名・住所・生年月日・性別だけ"),
            ),
        ]),
        ArgJa::new("info", "allow_last_try", last_try_ja("照合")),
        ArgJa::new(
            "info",
            "secure_messaging",
            "セキュアメッセージングで読む（暗号化されます。暗証番号が必要で、暗証番号は平文で送られます）",
        ),
        ArgJa::new("surface", "open_with", "APを開くもの").values([
            ("matching-b", format!("{matching_b}: 券面")),
            (
                "matching-a",
                format!("{matching_a}: 券面とマイナンバーの画像"),
            ),
            (
                "birth-date",
                "生年月日キー（和暦の年月日 YYMMDD、数字6桁）: 年齢確認の記録だけ".into(),
            ),
        ]),
        ArgJa::new(
            "surface",
            "out",
            "画像をこのディレクトリに保存する（なければ作ります。ファイルは所有者だけが読めます）: name.png、address.png、photo.jp2、security-code.png、照合番号Aでは my-number.png も",
        ),
        ArgJa::new(
            "surface",
            "accept_test_hierarchy",
            "JPKIのテスト階層のCV証明書も受け入れる（テストカード）",
        ),
        ArgJa::new("surface", "allow_last_try", last_try_ja("照合")),
        ArgJa::new(
            "mf",
            "accept_test_hierarchy",
            "JPKIのテスト階層の発行者の鍵も受け入れる",
        ),
    ]
}

/// An argument's help in Japanese: its text, its default (which clap would add in English)
/// and its possible values, one a line (which clap would list under "Possible values:").
fn arg_help(arg: &Arg, ja: &ArgJa) -> (String, String) {
    let default = arg
        .get_default_values()
        .iter()
        .map(|v| v.to_string_lossy().into_owned())
        .collect::<Vec<_>>();
    let short = match default.as_slice() {
        [] => ja.help.clone(),
        d => format!("{}（既定: {}）", ja.help, d.join(", ")),
    };
    let width = ja.values.iter().map(|(v, _)| v.len()).max().unwrap_or(0);
    let long = ja.values.iter().fold(short.clone(), |mut h, (v, text)| {
        h.push_str(&format!(
            "\n- {:width$} {text}",
            format!("{v}:"),
            width = width + 1
        ));
        h
    });
    (short, long)
}

/// A subcommand in Japanese: its arguments' help (`args`), its arguments under the Japanese
/// headings, its value placeholders the values themselves, and the Japanese template.
fn subcommand_ja(sub: clap::Command, args: &[&ArgJa]) -> clap::Command {
    let sub = args.iter().fold(sub, |s, ja| {
        s.mut_arg(ja.id, |a| {
            let (short, long) = arg_help(&a, ja);
            let heading = if a.is_positional() {
                ARGUMENTS
            } else {
                OPTIONS
            };
            let values: Vec<String> = a
                .get_possible_values()
                .iter()
                .filter(|v| !v.is_hide_set())
                .map(|v| v.get_name().to_owned())
                .collect();
            let a = if ja.values.is_empty() {
                a.help(short)
            } else {
                a.help(short).long_help(long)
            };
            let a = match (&ja.placeholder, values.is_empty()) {
                (Some(p), _) => a.value_name(p.clone()),
                (None, false) => a.value_name(values.join("|")),
                (None, true) => a,
            };
            let a = a.help_heading(heading);
            if a.get_action().takes_values() {
                // Both are in the Japanese text.
                a.hide_possible_values(true).hide_default_value(true)
            } else {
                a
            }
        })
    });
    sub.help_template(TEMPLATE)
}

/// The usage line of every subcommand (and of the command) with clap's placeholders in
/// Japanese: clap writes `[OPTIONS]` itself, so the usage it computes is set as the override.
fn usage_ja(mut cmd: clap::Command) -> clap::Command {
    let ja = |usage: String| {
        usage
            .trim_start_matches("Usage: ")
            .replace(USAGE_OPTIONS.0, USAGE_OPTIONS.1)
            .replace(USAGE_COMMAND.0, USAGE_COMMAND.1)
    };
    let mut built = cmd.clone();
    built.build();
    for (name, _) in COMMANDS_JA {
        if let Some(sub) = built.find_subcommand_mut(name) {
            let usage = ja(sub.render_usage().to_string());
            cmd = cmd.mut_subcommand(name, |s| s.override_usage(usage));
        }
    }
    let usage = ja(built.render_usage().to_string());
    cmd.override_usage(usage)
}

/// The command line as clap reads it, with its help in `lang`.
pub fn command(lang: Lang) -> clap::Command {
    let cmd = Cli::command();
    if lang == Lang::En {
        return cmd;
    }
    let cmd = COMMANDS_JA.iter().fold(cmd, |c, (name, about)| {
        c.mut_subcommand(*name, |s| s.about(*about).help_template(TEMPLATE))
    });
    let args = args_ja();
    let cmd = COMMANDS_JA.iter().fold(cmd, |c, (name, _)| {
        let own: Vec<&ArgJa> = args.iter().filter(|a| a.command == *name).collect();
        c.mut_subcommand(*name, |s| subcommand_ja(s, &own))
    });
    let cmd = OPTIONS_JA
        .iter()
        .enumerate()
        .fold(cmd, |c, (i, (id, help))| {
            // After each subcommand's own options.
            c.mut_arg(*id, |a| {
                a.help(*help)
                    .help_heading(OPTIONS)
                    .display_order(GLOBAL_ORDER + i)
            })
        })
        .mut_subcommand("verify", |s| s.after_long_help(VERIFY_HELP_JA))
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
                .help_heading(OPTIONS)
                .display_order(GLOBAL_ORDER + OPTIONS_JA.len()),
        )
        .arg(
            Arg::new("version")
                .short('V')
                .long("version")
                .action(ArgAction::Version)
                .help("バージョンを表示する")
                .help_heading(OPTIONS)
                .display_order(GLOBAL_ORDER + OPTIONS_JA.len() + 1),
        )
        .about(
            "マイナンバーカードの暗証番号・証明書・データを、仮想カードまたは実際のリーダーで扱う",
        )
        .after_help(exit_codes_ja())
        .subcommand_help_heading("コマンド")
        .help_template(TEMPLATE);
    // clap adds its `help` subcommand when it builds the command: build it, then put its
    // summary in Japanese.
    let mut cmd = usage_ja(cmd);
    cmd.build();
    cmd.mut_subcommand("help", |h| {
        let usage = format!("myna help [{}]", USAGE_COMMAND.1.trim_matches(['<', '>']));
        h.about(HELP_COMMAND)
            .override_usage(usage)
            .subcommand_help_heading("コマンド")
            .help_template(TEMPLATE)
            .mut_subcommand("help", |h| h.about(HELP_COMMAND))
    })
}

/// A line of clap's report of a usage error after its first (the usage line, a tip, the pointer
/// to `--help`) in Japanese: the usage line is already in Japanese but for its heading.
pub fn error_line_ja(line: &str) -> String {
    if let Some(usage) = line.strip_prefix("Usage: ") {
        return format!("使い方: {usage}");
    }
    if let Some(help) = line
        .strip_prefix("For more information, try ")
        .and_then(|l| l.strip_suffix('.'))
    {
        return format!("詳しくは {help} でヘルプを表示してください。");
    }
    if let Some((indent, tip)) = line.split_once("tip: ") {
        let similar = [
            ("a similar argument exists: ", "似た引数があります: "),
            ("some similar arguments exist: ", "似た引数があります: "),
            ("a similar subcommand exists: ", "似たコマンドがあります: "),
            (
                "some similar subcommands exist: ",
                "似たコマンドがあります: ",
            ),
            ("a similar value exists: ", "似た値があります: "),
            ("some similar values exist: ", "似た値があります: "),
        ];
        for (en, ja) in similar {
            if let Some(rest) = tip.strip_prefix(en) {
                return format!("{indent}ヒント: {ja}{rest}");
            }
        }
    }
    line.to_owned()
}

/// The display order of the global options: after every subcommand's own.
const GLOBAL_ORDER: usize = 1000;

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

    /// Every argument of every subcommand has its Japanese help; every value of a list, its
    /// Japanese meaning; and the Japanese text shows the default that clap no longer adds.
    #[test]
    fn every_subcommand_argument_and_value_has_its_japanese() {
        let en = Cli::command();
        let table = args_ja();
        let ja = command(Lang::Ja);
        let globals: Vec<&str> = OPTIONS_JA.iter().map(|(id, _)| *id).collect();
        for s in en.get_subcommands() {
            let name = s.get_name();
            let sub_ja = ja.find_subcommand(name).expect(name);
            for a in s.get_arguments() {
                let id = a.get_id().as_str();
                if globals.contains(&id) {
                    continue;
                }
                let entry = table
                    .iter()
                    .find(|e| e.command == name && e.id == id)
                    .unwrap_or_else(|| panic!("{name} {id} has no Japanese help"));
                let arg_ja = sub_ja.get_arguments().find(|x| x.get_id() == id).unwrap();
                let help = arg_ja.get_help().unwrap().to_string();
                assert!(help.starts_with(&entry.help), "{name} {id}: {help}");
                let heading = if a.is_positional() {
                    ARGUMENTS
                } else {
                    OPTIONS
                };
                assert_eq!(arg_ja.get_help_heading(), Some(heading), "{name} {id}");
                for d in a.get_default_values() {
                    let d = d.to_string_lossy();
                    assert!(
                        help.contains(&format!("（既定: {d}）")),
                        "{name} {id}: {help}"
                    );
                }
                let possible = a.get_possible_values();
                let values: Vec<&str> = possible
                    .iter()
                    .filter(|v| !v.is_hide_set())
                    .map(|v| v.get_name())
                    .collect();
                let explained: Vec<&str> = entry.values.iter().map(|(v, _)| *v).collect();
                if a.get_possible_values()
                    .iter()
                    .any(|v| v.get_help().is_some())
                {
                    assert_eq!(explained, values, "{name} {id}");
                    let long = arg_ja.get_long_help().unwrap().to_string();
                    for (v, text) in &entry.values {
                        assert!(long.contains(&format!("- {v}:")), "{name} {id}: {long}");
                        assert!(long.contains(text.as_str()), "{name} {id}: {long}");
                    }
                } else {
                    assert!(explained.is_empty(), "{name} {id}");
                }
                if !values.is_empty() {
                    assert_eq!(
                        arg_ja.get_value_names().map(|n| n.join(" ")),
                        Some(values.join("|")),
                        "{name} {id}"
                    );
                }
            }
        }
        // No entry for an argument that does not exist.
        for e in &table {
            let s = en.find_subcommand(e.command).expect(e.command);
            assert!(
                s.get_arguments().any(|a| a.get_id() == e.id),
                "{} {}",
                e.command,
                e.id
            );
        }
    }

    /// The English help is clap's from the argument types, untouched: the command's and every
    /// subcommand's.
    #[test]
    fn the_english_help_is_the_argument_types_own() {
        let mut plain = Cli::command();
        let mut en = command(Lang::En);
        assert_eq!(
            en.render_long_help().to_string(),
            plain.render_long_help().to_string()
        );
        plain.build();
        en.build();
        let names: Vec<String> = plain
            .get_subcommands()
            .map(|s| s.get_name().to_owned())
            .collect();
        for name in names {
            let p = plain.find_subcommand_mut(&name).unwrap().render_long_help();
            let e = en.find_subcommand_mut(&name).unwrap().render_long_help();
            assert_eq!(e.to_string(), p.to_string(), "{name}");
            assert!(p.to_string().contains("Usage: myna"), "{name}");
        }
    }

    #[test]
    fn the_usage_errors_tail_in_japanese() {
        assert_eq!(
            error_line_ja("Usage: myna verify [オプション] <sign|auth|residence|text|FILE>"),
            "使い方: myna verify [オプション] <sign|auth|residence|text|FILE>"
        );
        assert_eq!(
            error_line_ja("For more information, try '--help'."),
            "詳しくは '--help' でヘルプを表示してください。"
        );
        assert_eq!(
            error_line_ja("  tip: a similar argument exists: '--json'"),
            "  ヒント: 似た引数があります: '--json'"
        );
        // Anything else as clap wrote it.
        assert_eq!(error_line_ja(""), "");
        assert_eq!(
            error_line_ja("  tip: to pass '-x' as a value, use '-- -x'"),
            "  tip: to pass '-x' as a value, use '-- -x'"
        );
    }
}
