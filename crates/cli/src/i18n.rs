//! Every message `myna` shows, in Japanese and English, and how the language is chosen.
//!
//! The language: `--lang ja|en` when given; otherwise the first of `LC_ALL`, `LC_MESSAGES` and
//! `LANG` that is set and not empty (the POSIX order for messages) decides: Japanese when it
//! starts with `ja` (`ja_JP.UTF-8`, `ja`), English for anything else, and English when none is
//! set. JSON keys stay English (machine-readable), while the JSON `error` text follows the
//! language.
//!
//! The CLI's own texts (prompts, headings, layout) live in [`text`]: one match arm per message,
//! Japanese beside English. The card's words (the PINs' names, where each is reset, the reset
//! rules, the library's errors and notices) come from the library (`PinKind::name`,
//! `Assessment::message`, `Error::message`…), in one wording for every front end.

use std::ffi::OsString;
use std::fmt::Display;
use std::path::Path;
use std::sync::OnceLock;

use mynacard::pin::{PinFormat, PinKind};

/// The language of the CLI's messages: the library's own (`mynacard::Lang`), whose
/// `Lang::from_env` follows the rule above and in which the library renders its errors
/// (`mynacard::Error::message`).
pub use mynacard::Lang;

/// The `--lang` value in raw arguments (`--lang ja`, `--lang=en`), read before clap parses them
/// so that usage errors are shown in the chosen language too. Stops at `--`.
pub fn lang_arg(args: &[OsString]) -> Option<Lang> {
    let mut found = None;
    let mut it = args.iter().skip(1).map(|a| a.to_string_lossy());
    while let Some(a) = it.next() {
        if a == "--" {
            break;
        }
        if a == "--lang" {
            found = it.next().and_then(|v| Lang::parse(&v)).or(found);
        } else if let Some(v) = a.strip_prefix("--lang=") {
            found = Lang::parse(v).or(found);
        }
    }
    found
}

/// Whether raw arguments ask for `--json` (before `--`), for usage errors.
pub fn json_arg(args: &[OsString]) -> bool {
    args.iter()
        .skip(1)
        .map(|a| a.to_string_lossy())
        .take_while(|a| a != "--")
        .any(|a| a == "--json")
}

static LANG: OnceLock<Lang> = OnceLock::new();

/// Sets the language of this process (once, at start).
pub fn set_lang(lang: Lang) {
    let _ = LANG.set(lang);
}

/// The language of this process: as set by [`set_lang`], else from the environment
/// ([`Lang::from_env`]).
pub fn lang() -> Lang {
    *LANG.get_or_init(Lang::from_env)
}

/// Every message of the CLI (except library errors, which the library renders:
/// [`mynacard::Error::message`]).
pub enum Msg<'a> {
    // --- Arguments and usage ---
    /// A PIN kind that does not exist.
    UnknownPinKind(&'a str),
    /// A certificate that does not exist.
    UnknownCert(&'a str),
    /// A key that does not exist.
    UnknownKey(&'a str),
    /// Heading of a usage error, with clap's own (English) explanation.
    Usage(&'a str),
    /// An unknown subcommand.
    UsageUnknownCommand(&'a str),
    /// An argument that is not accepted.
    UsageUnexpectedArg(&'a str),
    /// A required argument is missing.
    UsageMissing(&'a str),
    /// A bad value for an argument.
    UsageBadValue {
        /// The argument.
        arg: &'a str,
        /// The value.
        value: &'a str,
        /// The accepted values, or why it was refused.
        detail: &'a str,
    },
    /// A number argument that is not a whole number.
    UsageNotANumber {
        /// The argument.
        arg: &'a str,
        /// The value.
        value: &'a str,
    },
    /// `info --open-with matching-a` without `--my-number`.
    MatchingAOnlyMyNumber,
    /// `info --open-with matching-b --my-number`.
    MatchingBNoMyNumber,
    /// DER to a terminal.
    DerToTerminal,
    /// `sign --in X --out X`.
    SameFile,
    // --- Secrets ---
    /// Prompt for a current PIN.
    PromptCurrent(PinKind),
    /// Prompt for the signature password to read the signature certificate.
    PromptCurrentForCert,
    /// Prompt for a new PIN.
    PromptNew(PinKind),
    /// Prompt for a new PIN again.
    PromptNewAgain(PinKind),
    /// Prompt for 照合番号A.
    PromptMatchingA,
    /// Prompt for 照合番号B.
    PromptMatchingB,
    /// Prompt for the birth-date key.
    PromptBirthDate,
    /// Standard input could not be read.
    StdinError(&'a dyn Display),
    /// Standard input ended before a secret.
    StdinEnded(&'a str),
    /// A secret longer than the limit.
    SecretTooLong(usize),
    /// A secret that is not UTF-8.
    SecretNotUtf8,
    /// The terminal prompt failed.
    CannotPrompt(&'a dyn Display),
    // --- Files ---
    /// A file could not be read.
    CannotRead(&'a Path, &'a dyn Display),
    /// A file could not be written.
    CannotWrite(&'a Path, &'a dyn Display),
    /// A directory could not be created.
    CannotCreateDir(&'a Path, &'a dyn Display),
    /// An output target that is not a regular file.
    NotRegularFile(&'a Path, FileKind),
    /// `--out` of surface names something that is not a directory.
    NotADirectory(&'a Path, FileKind),
    /// Standard output could not be written.
    CannotWriteStdout(&'a dyn Display),
    // --- Results ---
    /// "{kind}: verified".
    Verified(PinKind),
    /// "{kind}: changed".
    Changed(PinKind),
    /// "{kind}: reset".
    WasReset(PinKind),
    /// Column headings of the status table: kind, PIN, format, application, tries left.
    StatusHeadings,
    /// A PIN format.
    Format(PinFormat),
    /// "n/n (verified)".
    StateVerified(u8),
    /// "0/n BLOCKED".
    StateBlocked(u8),
    /// No retry limit.
    StateNoLimit,
    /// "-> blocked: where to reset".
    BlockedHint(PinKind),
    /// The chain is trusted.
    ChainTrusted(&'a dyn Display),
    /// The chain is not trusted.
    ChainNotTrusted(&'a dyn Display),
    /// The "Chain:" label.
    ChainLabel,
    /// A certificate written to a file.
    CertWritten(&'a dyn Display, &'a Path),
    /// A signature written.
    Signed {
        /// Signature length.
        bytes: usize,
        /// The key.
        key: &'a dyn Display,
        /// The scheme.
        scheme: &'a dyn Display,
        /// SHA-256 of the data.
        digest: &'a str,
        /// Where it was written.
        path: &'a Path,
    },
    /// The signature could not be checked.
    SignatureUnchecked,
    /// A label of `info`, `surface` or `card-info`.
    Label(Label),
    /// `info`'s closing line.
    InfoChecked,
    /// Age text.
    AgeToday(i64),
    /// Expiry (not signed).
    ExpiryUnsigned(&'a dyn Display),
    /// Image description: format, bytes, and width × height where known.
    ImageBytes(&'a dyn Display, usize, Option<(u32, u32)>),
    /// Signatures checked.
    SignaturesChecked,
    /// CV certificate verified.
    CvVerified(&'a dyn Display, &'a dyn Display),
    /// CV certificate not checked.
    CvNotChecked(&'a dyn Display),
    /// Presence proven.
    Present(usize),
    /// Sex, by its ISO/IEC 5218 code (`0`, `1`, `2`, `9`), with the library's English text.
    Sex(char, &'a dyn Display),
    /// Municipality code with prefecture.
    Municipality(&'a dyn Display, &'a dyn Display),
    /// `--trace`: how many exchanges.
    Exchanges(usize),
    /// `--reader` without feature pcsc.
    #[cfg_attr(feature = "pcsc", allow(dead_code))]
    NeedsPcsc,
    // --- Signed documents (`sign --format cms|cms-attached|pdf`, `verify FILE`) ---
    /// `verify X`: X is neither a PIN kind nor an existing file.
    NotPinKindNorFile(&'a str),
    /// `verify FILE` reached the card path (a bug).
    InternalVerifyFile,
    /// A CMS or PDF signature could not be made (nothing was written).
    CannotSignDocument(&'a dyn Display),
    /// `sign --format pdf` of a file that is not a PDF we can sign (before any PIN).
    CannotSignPdf(&'a dyn Display),
    /// A signed document written: signer, path.
    DocumentSigned(&'a dyn Display, &'a Path),
    /// `verify PDF --content`.
    ContentWithPdf,
    /// A PDF that cannot be read for verification.
    CannotReadPdf(&'a dyn Display),
    /// A file with no signature.
    NoSignature,
    /// "signature N: verdict (detail)".
    SignatureVerdict(usize, mynacard_docsig::Verdict, &'a str),
    /// "signer: ...".
    SignerIs(&'a dyn Display),
    /// "signing time (claimed by the signer): ...".
    SigningTimeClaimed(&'a dyn Display),
    /// Not every signature is valid.
    NotEverySignatureValid,
}

/// The kind of a file system entry, for refusals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A symbolic link.
    Symlink,
    /// A directory.
    Directory,
    /// A named pipe.
    Fifo,
    /// A device node.
    Device,
    /// A socket.
    Socket,
    /// A regular file.
    File,
    /// Anything else.
    Other,
}

/// Labels of the `info`, `surface` and `card-info` output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label {
    /// Name.
    Name,
    /// Address.
    Address,
    /// Birth date.
    BirthDate,
    /// Sex.
    Sex,
    /// My Number.
    MyNumber,
    /// Age.
    Age,
    /// Expiry.
    Expiry,
    /// Name image.
    NameImage,
    /// Address image.
    AddressImage,
    /// Photo.
    Photo,
    /// Security code image.
    SecurityCode,
    /// My Number image.
    MyNumberImage,
    /// Signatures.
    Signatures,
    /// CV certificate.
    CvCertificate,
    /// Card present.
    CardPresent,
    /// Card serial.
    CardSerial,
    /// Municipality code.
    MunicipalityCode,
}

fn file_kind(lang: Lang, k: FileKind) -> &'static str {
    match (lang, k) {
        (Lang::Ja, FileKind::Symlink) => "シンボリックリンク",
        (Lang::Ja, FileKind::Directory) => "ディレクトリ",
        (Lang::Ja, FileKind::Fifo) => "名前付きパイプ(FIFO)",
        (Lang::Ja, FileKind::Device) => "デバイスファイル",
        (Lang::Ja, FileKind::Socket) => "ソケット",
        (Lang::Ja, FileKind::File) => "通常のファイル",
        (Lang::Ja, FileKind::Other) => "特殊なファイル",
        (Lang::En, FileKind::Symlink) => "a symbolic link",
        (Lang::En, FileKind::Directory) => "a directory",
        (Lang::En, FileKind::Fifo) => "a named pipe (FIFO)",
        (Lang::En, FileKind::Device) => "a device node",
        (Lang::En, FileKind::Socket) => "a socket",
        (Lang::En, FileKind::File) => "a regular file",
        (Lang::En, FileKind::Other) => "a special file",
    }
}

fn label(lang: Lang, l: Label) -> &'static str {
    use Label::*;
    match lang {
        Lang::Ja => match l {
            Name => "氏名",
            Address => "住所",
            BirthDate => "生年月日",
            Sex => "性別",
            MyNumber => "個人番号",
            Age => "年齢",
            Expiry => "有効期限",
            NameImage => "氏名の画像",
            AddressImage => "住所の画像",
            Photo => "顔写真",
            SecurityCode => "セキュリティコード",
            MyNumberImage => "個人番号の画像",
            Signatures => "署名",
            CvCertificate => "CV証明書",
            CardPresent => "カードの実在",
            CardSerial => "カードのシリアル番号",
            MunicipalityCode => "市区町村コード",
        },
        Lang::En => match l {
            Name => "Name",
            Address => "Address",
            BirthDate => "Birth date",
            Sex => "Sex",
            MyNumber => "My Number",
            Age => "Age",
            Expiry => "Expiry",
            NameImage => "Name image",
            AddressImage => "Address image",
            Photo => "Photo",
            SecurityCode => "Security code",
            MyNumberImage => "My Number image",
            Signatures => "Signatures",
            CvCertificate => "CV certificate",
            CardPresent => "Card present",
            CardSerial => "Card serial",
            MunicipalityCode => "Municipality code",
        },
    }
}

/// Picks the Japanese or the English text.
macro_rules! pick {
    ($lang:expr, $ja:expr, $en:expr $(,)?) => {
        match $lang {
            Lang::Ja => String::from($ja),
            Lang::En => String::from($en),
        }
    };
}

/// The text of a message in a language.
pub fn text(lang: Lang, m: &Msg<'_>) -> String {
    let name = |k: PinKind| k.name(lang);
    match m {
        Msg::UnknownPinKind(s) => pick!(
            lang,
            format!("PINの種類「{s}」はありません: sign, auth, residence, text のいずれかです"),
            format!("unknown PIN kind `{s}`: use sign, auth, residence or text"),
        ),
        Msg::UnknownCert(s) => pick!(
            lang,
            format!("証明書「{s}」はありません: auth, auth-ca, sign, sign-ca のいずれかです"),
            format!("unknown certificate `{s}`: use auth, auth-ca, sign or sign-ca"),
        ),
        Msg::UnknownKey(s) => pick!(
            lang,
            format!("鍵「{s}」はありません: auth か sign です"),
            format!("unknown key `{s}`: use auth or sign"),
        ),
        Msg::Usage(detail) => pick!(
            lang,
            format!("コマンドラインの使い方が正しくありません。詳細(英語): {detail}"),
            detail.to_string(),
        ),
        Msg::UsageUnknownCommand(s) => pick!(
            lang,
            format!("コマンド「{s}」はありません(myna --help で一覧を表示します)"),
            format!("unrecognized subcommand '{s}'"),
        ),
        Msg::UsageUnexpectedArg(s) => pick!(
            lang,
            format!(
                "引数「{s}」は受け付けません(PINをコマンドラインに書くことはできません: \
                 入力を求められたときに入力するか、--pin-stdin を使ってください)"
            ),
            format!("unexpected argument '{s}'"),
        ),
        Msg::UsageMissing(s) => pick!(
            lang,
            format!("必要な引数がありません: {s}"),
            format!("a required argument was not provided: {s}"),
        ),
        Msg::UsageBadValue { arg, value, detail } => pick!(
            lang,
            format!("{arg} の値「{value}」は使えません: {detail}"),
            format!("invalid value '{value}' for '{arg}': {detail}"),
        ),
        Msg::UsageNotANumber { arg, value } => pick!(
            lang,
            format!("{arg} の値「{value}」は使えません: 0以上の整数で指定してください"),
            format!("invalid value '{value}' for '{arg}': not a whole number"),
        ),
        Msg::MatchingAOnlyMyNumber => pick!(
            lang,
            "照合番号Aで開けるのは個人番号だけです: --my-number を付けるか、PINか照合番号Bで開いてください",
            "照合番号A opens only the My Number: add --my-number, or open with the PIN or 照合番号B",
        ),
        Msg::MatchingBNoMyNumber => pick!(
            lang,
            "照合番号Bでは個人番号を開けません: PINか照合番号Aで開いてください",
            "照合番号B does not open the My Number: open with the PIN or 照合番号A",
        ),
        Msg::DerToTerminal => pick!(
            lang,
            "DER(バイナリ)は端末に出力しません: --out FILE を付けるか、出力をリダイレクトしてください",
            "refusing to write DER (binary) to a terminal: add --out FILE or redirect the output",
        ),
        Msg::SameFile => pick!(
            lang,
            "--in と --out が同じファイルです: 署名でデータが上書きされてしまいます",
            "--in and --out are the same file: the signature would replace the data",
        ),
        Msg::PromptCurrent(k) => pick!(
            lang,
            format!("現在の{}", name(*k)),
            format!("Current {}", name(*k)),
        ),
        Msg::PromptCurrentForCert => pick!(
            lang,
            format!(
                "現在の{}({}の読み出しに必要)",
                name(PinKind::Signature),
                mynacard::cert::CertKind::Sign.name(lang)
            ),
            format!(
                "Current {} (needed to read the signature certificate)",
                name(PinKind::Signature)
            ),
        ),
        Msg::PromptNew(k) => pick!(
            lang,
            format!("新しい{}", name(*k)),
            format!("New {}", name(*k)),
        ),
        Msg::PromptNewAgain(k) => pick!(
            lang,
            format!("新しい{}(確認のためもう一度)", name(*k)),
            format!("New {}, again", name(*k)),
        ),
        Msg::PromptMatchingA => pick!(
            lang,
            "照合番号A(12桁の個人番号)",
            "照合番号A (the 12-digit My Number)",
        ),
        Msg::PromptMatchingB => pick!(
            lang,
            "照合番号B(和暦の生年月日YYMMDD、有効期限の西暦YYYY、セキュリティコード)",
            "照合番号B (era birth date YYMMDD, expiry year YYYY, security code)",
        ),
        Msg::PromptBirthDate => pick!(
            lang,
            "生年月日キー(和暦の年月日YYMMDD、例: 昭和60年4月1日なら600401)",
            "Birth-date key (era year YYMMDD, e.g. 600401 for 昭和60-04-01)",
        ),
        Msg::StdinError(e) => pick!(
            lang,
            format!("標準入力を読めません: {e}"),
            format!("reading standard input: {e}"),
        ),
        Msg::StdinEnded(p) => pick!(
            lang,
            format!("次の入力の前に標準入力が終わりました: {p}"),
            format!("standard input ended before: {p}"),
        ),
        Msg::SecretTooLong(n) => pick!(
            lang,
            format!(
                "入力された行が長すぎます({n}バイトまで)。受け付けず、カードには何も送っていません"
            ),
            format!(
                "the line entered is too long (at most {n} bytes): refused, nothing was sent to \
                 the card"
            ),
        ),
        Msg::SecretNotUtf8 => pick!(
            lang,
            "入力された行がUTF-8ではありません。受け付けず、カードには何も送っていません",
            "the line entered is not UTF-8: refused, nothing was sent to the card",
        ),
        Msg::CannotPrompt(e) => pick!(
            lang,
            format!(
                "PINの入力を求められません({e})。--pin-stdin を付けると標準入力から読みます"
            ),
            format!(
                "cannot prompt for the PIN ({e}); use --pin-stdin to read it from standard input"
            ),
        ),
        Msg::CannotRead(p, e) => pick!(
            lang,
            format!("{} を読めません: {e}", p.display()),
            format!("cannot read {}: {e}", p.display()),
        ),
        Msg::CannotWrite(p, e) => pick!(
            lang,
            format!("{} に書き込めません: {e}", p.display()),
            format!("cannot write {}: {e}", p.display()),
        ),
        Msg::CannotCreateDir(p, e) => pick!(
            lang,
            format!("{} を作成できません: {e}", p.display()),
            format!("cannot create {}: {e}", p.display()),
        ),
        Msg::NotRegularFile(p, k) => pick!(
            lang,
            format!(
                "{} は{}です。通常のファイルしか書き換えません。別のファイル名を指定してください\
                 (カードには何も送っていません)",
                p.display(),
                file_kind(lang, *k)
            ),
            format!(
                "{} is {}: only a regular file is ever replaced; name another file (nothing was \
                 sent to the card)",
                p.display(),
                file_kind(lang, *k)
            ),
        ),
        Msg::NotADirectory(p, k) => pick!(
            lang,
            format!(
                "{} は{}です。--out にはディレクトリを指定してください(カードには何も送っていません)",
                p.display(),
                file_kind(lang, *k)
            ),
            format!(
                "{} is {}: --out names a directory (nothing was sent to the card)",
                p.display(),
                file_kind(lang, *k)
            ),
        ),
        Msg::CannotWriteStdout(e) => pick!(
            lang,
            format!(
                "標準出力に書き込めません({e})。カードへの操作は済んでいる可能性があります: \
                 `myna status` で試行回数を確認できます(試行回数は減りません)"
            ),
            format!(
                "cannot write to standard output ({e}); the card operation may already be done: \
                 `myna status` shows the retry counters (it spends no try)"
            ),
        ),
        Msg::Verified(k) => pick!(
            lang,
            format!("{}: 照合しました", name(*k)),
            format!("{}: verified", name(*k)),
        ),
        Msg::Changed(k) => pick!(
            lang,
            format!("{}: 変更しました", name(*k)),
            format!("{}: changed", name(*k)),
        ),
        Msg::WasReset(k) => pick!(
            lang,
            format!("{}: 再設定しました", name(*k)),
            format!("{}: reset", name(*k)),
        ),
        Msg::StatusHeadings => pick!(
            lang,
            "種類\tPIN\t形式\tアプリケーション\t残り回数",
            "kind\tPIN\tformat\tapplication\ttries left",
        ),
        Msg::Format(f) => match (lang, f) {
            (Lang::Ja, PinFormat::FourDigits) => "数字4桁".into(),
            (Lang::Ja, PinFormat::Alphanumeric6To16) => "英大文字と数字6〜16桁".into(),
            (Lang::En, f) => f.to_string(),
        },
        Msg::StateVerified(l) => pick!(
            lang,
            format!("{l}/{l}(照合済み)"),
            format!("{l}/{l} (verified)"),
        ),
        Msg::StateBlocked(l) => pick!(
            lang,
            format!("0/{l} ロック中"),
            format!("0/{l} BLOCKED"),
        ),
        Msg::StateNoLimit => pick!(lang, "回数制限なし", "no limit"),
        Msg::BlockedHint(k) => pick!(
            lang,
            format!("-> ロック中: {}", k.where_to_reset_in(lang)),
            format!("-> blocked: {}", k.where_to_reset_in(lang)),
        ),
        Msg::ChainTrusted(h) => pick!(
            lang,
            format!("信頼できます({h})"),
            format!("trusted ({h})"),
        ),
        Msg::ChainNotTrusted(e) => pick!(
            lang,
            format!("信頼できません: {e}"),
            format!("NOT trusted: {e}"),
        ),
        Msg::ChainLabel => pick!(lang, "証明書チェーン", "Chain"),
        Msg::CertWritten(k, p) => pick!(
            lang,
            format!("{k} を {} に書き出しました", p.display()),
            format!("{k} written to {}", p.display()),
        ),
        Msg::Signed {
            bytes,
            key,
            scheme,
            digest,
            path,
        } => pick!(
            lang,
            format!(
                "{key}で署名しました({scheme}、{bytes}バイト、SHA-256 {digest})。証明書で検証済みで、\
                 {} に書き出しました",
                path.display()
            ),
            format!(
                "{bytes}-byte signature by the {key} ({scheme}) over SHA-256 {digest}, checked \
                 against the certificate, written to {}",
                path.display()
            ),
        ),
        Msg::SignatureUnchecked => pick!(
            lang,
            "署名を検証できなかったため、何も書き出していません",
            "the signature could not be checked; nothing was written",
        ),
        Msg::Label(l) => label(lang, *l).into(),
        Msg::InfoChecked => pick!(
            lang,
            "(カードの完全性レコードで確認済み)",
            "(checked against the card's integrity record)",
        ),
        Msg::AgeToday(y) => pick!(
            lang,
            format!("{y}歳(本日、UTC)"),
            format!("{y} (today, UTC)"),
        ),
        Msg::ExpiryUnsigned(d) => pick!(
            lang,
            format!("{d}(カードの署名の対象外)"),
            format!("{d} (not covered by the card's signature)"),
        ),
        Msg::ImageBytes(f, n, dims) => {
            let (sep, unit) = match lang {
                Lang::Ja => ("、", "バイト"),
                Lang::En => (", ", " bytes"),
            };
            let mut s = format!("{f}{sep}{n}{unit}");
            if let Some((w, h)) = dims {
                s.push_str(&format!("{sep}{w}×{h}"));
            }
            s
        }
        Msg::SignaturesChecked => pick!(
            lang,
            "CV証明書(EF 0004)の鍵で検証済み",
            "checked under the CV certificate (EF 0004)",
        ),
        Msg::CvVerified(issuer, h) => pick!(
            lang,
            format!("発行者の鍵 {issuer}({h})で検証済み"),
            format!("verified under issuer key {issuer} ({h})"),
        ),
        Msg::CvNotChecked(e) => pick!(
            lang,
            format!("検証していません: {e}"),
            format!("NOT checked: {e}"),
        ),
        Msg::Present(bits) => pick!(
            lang,
            format!(
                "はい: 署名付きレコードにあるAP鍵({bits}ビット)で、新しいチャレンジに署名しました"
            ),
            format!(
                "yes: it signed a fresh challenge with the AP key ({bits} bits) the signed record \
                 carries"
            ),
        ),
        Msg::Sex(code, en) => match (lang, code) {
            (Lang::Ja, '0') => "不明".into(),
            (Lang::Ja, '1') => "男性".into(),
            (Lang::Ja, '2') => "女性".into(),
            (Lang::Ja, '9') => "適用不能".into(),
            _ => en.to_string(),
        },
        Msg::Municipality(code, pref) => pick!(
            lang,
            format!("{code}(都道府県 {pref})"),
            format!("{code} (prefecture {pref})"),
        ),
        Msg::Exchanges(n) => pick!(
            lang,
            format!("APDU交換 {n} 回 ({n} exchanges)"),
            format!("{n} exchanges"),
        ),
        Msg::NeedsPcsc => pick!(
            lang,
            "実際のリーダーを使うには feature `pcsc` が必要です: `cargo run -p mynacard-cli \
             --features pcsc -- --reader auto status` で実行してください(Debian では \
             libpcsclite-dev を、実行には pcscd をインストールします)",
            "real readers need feature `pcsc`: build with `cargo run -p mynacard-cli --features \
             pcsc -- --reader auto status` (on Debian, install libpcsclite-dev, and pcscd to run)",
        ),
        Msg::NotPinKindNorFile(s) => pick!(
            lang,
            format!(
                "{} (署名ファイルを検証するには、存在するファイルを指定してください。PINの種類と\
                 同じ名前のファイルは ./sign のように書きます)",
                text(lang, &Msg::UnknownPinKind(s))
            ),
            format!(
                "{} (to verify a signed file, name an existing file; write a file named like a \
                 PIN kind as ./sign)",
                text(lang, &Msg::UnknownPinKind(s))
            ),
        ),
        Msg::InternalVerifyFile => pick!(
            lang,
            "内部エラー: verify FILE がカードの処理に渡されました",
            "internal error: verify FILE reached the card path",
        ),
        Msg::CannotSignDocument(e) => pick!(
            lang,
            format!("署名できませんでした(何も書き込んでいません): {e}"),
            format!("could not sign (nothing was written): {e}"),
        ),
        Msg::CannotSignPdf(e) => pick!(
            lang,
            format!("このPDFには署名できません(PINは使っていません): {e}"),
            format!("cannot sign this PDF (no PIN was used): {e}"),
        ),
        Msg::DocumentSigned(signer, p) => pick!(
            lang,
            format!("署名しました(署名者: {signer}): {}", p.display()),
            format!("signed by {signer}: {}", p.display()),
        ),
        Msg::ContentWithPdf => pick!(
            lang,
            "PDFの署名の検証には --content を使いません",
            "--content is not used with a PDF",
        ),
        Msg::CannotReadPdf(e) => pick!(
            lang,
            format!("PDFを読めません: {e}"),
            format!("cannot read the PDF: {e}"),
        ),
        Msg::NoSignature => pick!(lang, "署名がありません", "no signature found"),
        Msg::SignatureVerdict(n, v, detail) => pick!(
            lang,
            format!("署名 {n}: {} ({detail})", verdict(lang, *v)),
            format!("signature {n}: {} ({detail})", verdict(lang, *v)),
        ),
        Msg::SignerIs(s) => pick!(lang, format!("署名者: {s}"), format!("signer: {s}")),
        Msg::SigningTimeClaimed(time) => pick!(
            lang,
            format!("署名時刻(署名者の申告): {time}"),
            format!("signing time (claimed by the signer): {time}"),
        ),
        Msg::NotEverySignatureValid => pick!(
            lang,
            "有効でない署名があります",
            "not every signature is valid"
        ),
    }
}

/// A verification verdict of a signed document.
fn verdict(lang: Lang, v: mynacard_docsig::Verdict) -> &'static str {
    use mynacard_docsig::Verdict as V;
    let (ja, en) = match v {
        V::Valid => ("有効", "valid"),
        V::WrongContent => (
            "内容が署名と一致しません",
            "the content does not match the signature",
        ),
        V::BadSignature => ("署名値が正しくありません", "bad signature"),
        V::UnknownSigner => (
            "署名者の証明書がありません",
            "unknown signer (certificate missing)",
        ),
        V::ChainBroken => ("証明書チェーンがつながりません", "certificate chain broken"),
        V::CertificateExpired => (
            "署名時刻に証明書が有効期間外でした",
            "certificate not valid at the signing time",
        ),
        V::HierarchyNotTrusted => ("信頼していない認証局階層です", "hierarchy not trusted"),
        V::UnsupportedAlgorithm => ("対応していないアルゴリズムです", "unsupported algorithm"),
        V::Malformed => ("署名の形式が正しくありません", "malformed signature"),
        V::UnsignedAttributes => (
            "署名されていない属性が含まれています",
            "unsigned attributes present",
        ),
        V::IncompleteCoverage => (
            "/ByteRange がファイル全体(署名を除く)を覆っていません",
            "/ByteRange does not cover the whole file except the signature",
        ),
        V::KeyUsageForbidsSigning => (
            "署名者の証明書の鍵用途が署名を許していません",
            "the signer's key usage does not allow signing",
        ),
        V::UnrecognisedCriticalExtension => (
            "証明書に認識できない重要(critical)拡張があります",
            "a certificate has an unrecognised critical extension",
        ),
        _ => ("無効", "invalid"),
    };
    match lang {
        Lang::Ja => ja,
        Lang::En => en,
    }
}

/// The text of a message in this process's language.
pub fn t(m: Msg<'_>) -> String {
    text(lang(), &m)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The language for `LC_ALL`, `LC_MESSAGES` and `LANG` (`None`: unset).
    fn from_env_values(a: Option<&str>, m: Option<&str>, l: Option<&str>) -> Lang {
        Lang::from_vars(|name| {
            match name {
                "LC_ALL" => a,
                "LC_MESSAGES" => m,
                "LANG" => l,
                _ => None,
            }
            .map(str::to_owned)
        })
    }

    #[test]
    fn the_environment_chooses_in_posix_order() {
        let f = from_env_values;
        assert_eq!(f(None, None, None), Lang::En);
        assert_eq!(f(None, None, Some("ja_JP.UTF-8")), Lang::Ja);
        assert_eq!(f(None, None, Some("ja")), Lang::Ja);
        assert_eq!(f(None, None, Some("en_US.UTF-8")), Lang::En);
        assert_eq!(f(None, None, Some("C")), Lang::En);
        // LC_MESSAGES over LANG, LC_ALL over both; an empty value counts as unset.
        assert_eq!(f(None, Some("C"), Some("ja_JP.UTF-8")), Lang::En);
        assert_eq!(f(None, Some("ja_JP"), Some("C")), Lang::Ja);
        assert_eq!(f(Some("en_GB"), Some("ja_JP"), Some("ja_JP")), Lang::En);
        assert_eq!(f(Some("ja_JP.eucJP"), None, Some("C")), Lang::Ja);
        assert_eq!(f(Some(""), Some(""), Some("ja_JP")), Lang::Ja);
    }

    #[test]
    fn the_lang_flag_is_found_before_parsing() {
        let args = |a: &[&str]| a.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(
            lang_arg(&args(&["myna", "--lang", "ja", "status"])),
            Some(Lang::Ja)
        );
        assert_eq!(
            lang_arg(&args(&["myna", "status", "--lang=en"])),
            Some(Lang::En)
        );
        assert_eq!(lang_arg(&args(&["myna", "--lang", "fr"])), None);
        assert_eq!(lang_arg(&args(&["myna", "--", "--lang", "ja"])), None);
        assert!(json_arg(&args(&["myna", "bogus", "--json"])));
        assert!(!json_arg(&args(&["myna", "--", "--json"])));
    }

    #[test]
    fn every_message_differs_between_the_languages() {
        let p = Path::new("x");
        let msgs = [
            Msg::UnknownPinKind("x"),
            Msg::SecretTooLong(1024),
            Msg::NotRegularFile(p, FileKind::Fifo),
            Msg::Verified(PinKind::UserAuth),
            Msg::StatusHeadings,
            Msg::StateBlocked(3),
            Msg::CannotWriteStdout(&"e"),
            Msg::Label(Label::Name),
            Msg::NotPinKindNorFile("x"),
            Msg::DocumentSigned(&"CN=x", p),
            Msg::SignatureVerdict(1, mynacard_docsig::Verdict::Valid, "d"),
            Msg::NotEverySignatureValid,
        ];
        for m in &msgs {
            let (ja, en) = (text(Lang::Ja, m), text(Lang::En, m));
            assert_ne!(ja, en);
        }
        for k in PinKind::ALL {
            // The names come from the library (one vocabulary): still two languages here.
            assert_ne!(k.name(Lang::Ja), k.name(Lang::En));
            assert_ne!(k.where_to_reset_in(Lang::Ja), k.where_to_reset_in(Lang::En));
        }
    }
}
