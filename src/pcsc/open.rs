//! Finding a reader that holds a My Number Card and connecting to it.

use std::ffi::{CStr, CString};
use std::fmt;
use std::thread::{self};
use std::time::{Duration, Instant};

use crate::apdu::ins;
use crate::applets;
use crate::transport::{Exchange, Transport};

use super::*;

/// What [`open`] is waiting for, so the caller can tell the user. Its `Display` is a sentence
/// ready to show.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Notice {
    /// No reader is connected.
    WaitingForReader {
        /// How long it will wait at most.
        timeout: Duration,
    },
    /// Readers are there, but none holds a My Number Card.
    WaitingForCard {
        /// The readers watched.
        readers: Vec<String>,
        /// How long it will wait at most.
        timeout: Duration,
    },
    /// The card in this reader did not answer the JPKI SELECT: it is another card.
    NotMyNumberCard {
        /// The reader.
        reader: String,
    },
    /// Another program holds the card exclusively (or is in a transaction).
    Busy {
        /// The reader.
        reader: String,
    },
}

impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Notice::WaitingForReader { timeout } => write!(
                f,
                "no smart-card reader found; connect one (waiting up to {} s)",
                timeout.as_secs()
            ),
            Notice::WaitingForCard { readers, timeout } => write!(
                f,
                "insert a My Number Card into {} (waiting up to {} s)",
                quote_list(readers),
                timeout.as_secs()
            ),
            Notice::NotMyNumberCard { reader } => write!(
                f,
                "the card in \"{reader}\" is not a My Number Card (it has no JPKI application)"
            ),
            Notice::Busy { reader } => write!(
                f,
                "another program is using the card in \"{reader}\"; waiting for it to finish"
            ),
        }
    }
}

impl Notice {
    /// The notice in `lang` (`Display` is the English).
    pub fn message(&self, lang: crate::lang::Lang) -> String {
        use crate::lang::Lang;
        match lang {
            Lang::En => self.to_string(),
            Lang::Ja => match self {
                Notice::WaitingForReader { timeout } => format!(
                    "カードリーダーが見つかりません。接続してください（最大{}秒待ちます）",
                    timeout.as_secs()
                ),
                Notice::WaitingForCard { readers, timeout } => format!(
                    "{}にマイナンバーカードを挿してください（最大{}秒待ちます）",
                    quote_list_ja(readers),
                    timeout.as_secs()
                ),
                Notice::NotMyNumberCard { reader } => format!(
                    "「{reader}」のカードはマイナンバーカードではありません（JPKIのアプリケーションがありません）"
                ),
                Notice::Busy { reader } => format!(
                    "「{reader}」のカードを別のプログラムが使っています。終わるのを待っています"
                ),
            },
        }
    }
}

impl OpenError {
    /// The error in `lang` (`Display` is the English).
    pub fn message(&self, lang: crate::lang::Lang) -> String {
        use crate::lang::Lang;
        match lang {
            Lang::En => self.to_string(),
            Lang::Ja => match self {
                OpenError::NoService => "PC/SCのサービスが動いていません（Linuxでは pcscd を起動してください: `sudo systemctl start pcscd.socket` または `pcscd`）".into(),
                OpenError::NoReader { waited } => {
                    format!("{}秒以内にカードリーダーが見つかりませんでした", waited.as_secs())
                }
                OpenError::UnknownReader { name, available } => format!(
                    "「{name}」という名前のリーダーはありません。リーダー: {}",
                    quote_list_ja(available)
                ),
                OpenError::AmbiguousReader { name, matches } => format!(
                    "「{name}」は複数のリーダーに当てはまります: {}。名前をすべて指定してください",
                    quote_list_ja(matches)
                ),
                OpenError::NoCard {
                    readers,
                    others,
                    waited,
                } => format!(
                    "{}秒以内に{}でマイナンバーカードが見つかりませんでした{}",
                    waited.as_secs(),
                    quote_list_ja(readers),
                    if others.is_empty() {
                        String::new()
                    } else {
                        format!("（{}には別のカードがあります）", quote_list_ja(others))
                    }
                ),
                OpenError::Busy { reader, waited } => format!(
                    "「{reader}」のカードは{}秒の間、別のプログラムが使い続けていました",
                    waited.as_secs()
                ),
                OpenError::Pcsc(why) => format!("PC/SCのエラー: {why}"),
            },
        }
    }
}

fn quote_list_ja(names: &[String]) -> String {
    match names {
        [] => "カードリーダー".into(),
        many => many
            .iter()
            .map(|n| format!("「{n}」"))
            .collect::<Vec<_>>()
            .join("、"),
    }
}

fn quote_list(names: &[String]) -> String {
    match names {
        [] => "a reader".into(),
        [one] => format!("\"{one}\""),
        many => format!(
            "one of {}",
            many.iter()
                .map(|n| format!("\"{n}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Why no card could be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The PC/SC service is not running.
    #[error("the PC/SC service is not running (on Linux, start pcscd: `sudo systemctl start pcscd.socket`, or run `pcscd`)")]
    NoService,
    /// No reader appeared in time.
    #[error("no smart-card reader found within {} s", .waited.as_secs())]
    NoReader {
        /// How long it waited.
        waited: Duration,
    },
    /// No reader has this name.
    #[error("no reader named \"{name}\"; readers: {}", quote_list(.available))]
    UnknownReader {
        /// The name asked for.
        name: String,
        /// The readers there are.
        available: Vec<String>,
    },
    /// The name matches several readers.
    #[error("\"{name}\" matches several readers: {}; give the full name", quote_list(.matches))]
    AmbiguousReader {
        /// The name asked for.
        name: String,
        /// The readers it matches.
        matches: Vec<String>,
    },
    /// No My Number Card appeared in time.
    #[error("no My Number Card found in {} within {} s{}", quote_list(.readers), .waited.as_secs(),
        if .others.is_empty() { String::new() } else { format!(" (other cards in {})", quote_list(.others)) })]
    NoCard {
        /// The readers watched.
        readers: Vec<String>,
        /// Readers holding a card that is not a My Number Card.
        others: Vec<String>,
        /// How long it waited.
        waited: Duration,
    },
    /// Another program kept the card for the whole wait.
    #[error("the card in \"{reader}\" stayed in use by another program for {} s", .waited.as_secs())]
    Busy {
        /// The reader.
        reader: String,
        /// How long it waited.
        waited: Duration,
    },
    /// Another PC/SC failure.
    #[error("PC/SC: {0}")]
    Pcsc(String),
}

/// The names of the readers connected now. An empty list when there are none.
pub fn list_readers() -> Result<Vec<String>, OpenError> {
    let ctx = establish()?;
    readers_of(&ctx)
}

fn establish() -> Result<pcsc::Context, OpenError> {
    pcsc::Context::establish(pcsc::Scope::User).map_err(|e| match e {
        pcsc::Error::NoService | pcsc::Error::ServiceStopped => OpenError::NoService,
        e => OpenError::Pcsc(e.to_string()),
    })
}

fn readers_of(ctx: &pcsc::Context) -> Result<Vec<String>, OpenError> {
    match ctx.list_readers_owned() {
        Ok(names) => Ok(names
            .into_iter()
            .map(|n| n.to_string_lossy().into_owned())
            .collect()),
        Err(pcsc::Error::NoReadersAvailable) => Ok(Vec::new()),
        Err(pcsc::Error::NoService | pcsc::Error::ServiceStopped) => Err(OpenError::NoService),
        Err(e) => Err(OpenError::Pcsc(e.to_string())),
    }
}

/// Resolves a reader name against the readers there are: the exact name, or a unique
/// case-insensitive part of one.
pub(crate) fn match_reader(name: &str, readers: &[String]) -> Result<String, OpenError> {
    if let Some(r) = readers.iter().find(|r| *r == name) {
        return Ok(r.clone());
    }
    let needle = name.to_lowercase();
    let matches: Vec<String> = readers
        .iter()
        .filter(|r| r.to_lowercase().contains(&needle))
        .cloned()
        .collect();
    match matches.len() {
        1 => Ok(matches.into_iter().next().unwrap_or_default()),
        0 => Err(OpenError::UnknownReader {
            name: name.to_owned(),
            available: readers.to_vec(),
        }),
        _ => Err(OpenError::AmbiguousReader {
            name: name.to_owned(),
            matches,
        }),
    }
}

/// What probing one reader found.
enum Probe {
    /// The card answered the JPKI SELECT: its response, and the connection it was sent on,
    /// kept, so that the session knows JPKI is selected and does not select it again.
    MyNumber(Vec<u8>, Box<PcscTransport>),
    OtherCard,
    NoCard,
    Busy,
}

/// `00 A4 04 0C 0A <JPKI AID>`: the SELECT that recognises the card
/// ([card facts §1](crate::card_facts#s1)).
pub(super) fn select_jpki() -> Vec<u8> {
    let mut v = vec![0x00, ins::SELECT, 0x04, 0x0C, 0x0A];
    v.extend_from_slice(applets::JPKI.as_bytes());
    v
}

fn probe(
    ctx: &pcsc::Context,
    name: &str,
    reader: &CStr,
    options: &Options,
) -> Result<Probe, OpenError> {
    // The probe runs on the connection that is kept, so nothing comes between the discovery
    // SELECT and the session, which therefore knows JPKI is selected and does not select it
    // again. On an exclusive connection nothing else can reach the card anyway. On a shared
    // one the SELECT is sent inside a PC/SC transaction, which the connection keeps open for
    // `options.linger` after it (see `Options::linger`).
    let card = match ctx.connect(reader, options.share.mode(), pcsc::Protocols::ANY) {
        Ok(c) => c,
        Err(
            pcsc::Error::NoSmartcard
            | pcsc::Error::RemovedCard
            | pcsc::Error::UnresponsiveCard
            | pcsc::Error::UnpoweredCard
            | pcsc::Error::UnknownReader
            | pcsc::Error::ReaderUnavailable,
        ) => return Ok(Probe::NoCard),
        Err(pcsc::Error::SharingViolation) => return Ok(Probe::Busy),
        Err(pcsc::Error::NoService | pcsc::Error::ServiceStopped) => {
            return Err(OpenError::NoService)
        }
        Err(e) => return Err(OpenError::Pcsc(e.to_string())),
    };
    let select = select_jpki();
    let result = match options.share {
        Share::Exclusive => {
            // One command needs no transaction on a connection no one else can reach.
            let mut buf = [0u8; 258];
            match card.transmit(&select, &mut buf) {
                Ok(r @ [.., 0x90, 0x00]) => {
                    let r = r.to_vec();
                    let t = PcscTransport::from_card(ctx, name, card, options)
                        .map_err(|e| OpenError::Pcsc(e.to_string()))?;
                    return Ok(Probe::MyNumber(r, Box::new(t)));
                }
                Ok(_) => Probe::OtherCard,
                Err(pcsc::Error::SharingViolation) => Probe::Busy,
                Err(_) => Probe::NoCard,
            }
        }
        Share::Shared => {
            // If another program is inside a transaction, beginning ours waits for it to end,
            // as any command of ours would (pcsc-lite holds a command from another connection
            // until the transaction ends).
            let mut t = PcscTransport::from_card(ctx, name, card, options)
                .map_err(|e| OpenError::Pcsc(e.to_string()))?;
            let r = match t.begin_transaction() {
                Ok(()) => {
                    let r = t.transmit(&select);
                    t.end_transaction();
                    r
                }
                Err(e) => Err(e),
            };
            return Ok(match r {
                Ok(r) if r.ends_with(&[0x90, 0x00]) => Probe::MyNumber(r, Box::new(t)),
                Ok(_) => Probe::OtherCard,
                // Inside our own transaction no other program's use can fail it: the card
                // went away, or the reader did.
                Err(_) => Probe::NoCard,
            });
        }
    };
    let _ = card.disconnect(pcsc::Disposition::LeaveCard);
    Ok(result)
}

/// Waits for a reader holding a My Number Card and connects to it.
///
/// With [`ReaderChoice::Auto`], every reader is probed with the JPKI SELECT and the first that
/// answers `9000` is used. `notify` is called once for each new thing waited for; show it to the
/// user. Gives up after `options.timeout`.
pub fn open(
    choice: &ReaderChoice,
    options: &Options,
    notify: &mut dyn FnMut(&Notice),
) -> Result<PcscTransport, OpenError> {
    let ctx = establish()?;
    let start = Instant::now();
    let deadline = start + options.timeout;
    let mut told: Vec<Notice> = Vec::new();
    let mut tell = |n: Notice, notify: &mut dyn FnMut(&Notice)| {
        if !told.contains(&n) {
            notify(&n);
            told.push(n);
        }
    };
    loop {
        let readers = readers_of(&ctx)?;
        let candidates = match choice {
            ReaderChoice::Auto => readers.clone(),
            ReaderChoice::Name(name) if readers.is_empty() => vec![name.clone()],
            ReaderChoice::Name(name) => vec![match_reader(name, &readers)?],
        };
        let mut others = Vec::new();
        let mut busy = None;
        if !readers.is_empty() {
            for name in &candidates {
                let c = CString::new(name.as_str())
                    .map_err(|_| OpenError::Pcsc(format!("bad reader name {name:?}")))?;
                match probe(&ctx, name, &c, options)? {
                    Probe::MyNumber(response, mut t) => {
                        t.discovered = Some(applets::JPKI);
                        t.discovery = vec![Exchange::new(&select_jpki(), Ok(response))];
                        return Ok(*t);
                    }
                    Probe::OtherCard => {
                        tell(
                            Notice::NotMyNumberCard {
                                reader: name.clone(),
                            },
                            notify,
                        );
                        others.push(name.clone());
                    }
                    Probe::Busy => {
                        tell(
                            Notice::Busy {
                                reader: name.clone(),
                            },
                            notify,
                        );
                        busy = Some(name.clone());
                    }
                    Probe::NoCard => {}
                }
            }
        }
        let now = Instant::now();
        if now >= deadline {
            let waited = now - start;
            return Err(if readers.is_empty() {
                OpenError::NoReader { waited }
            } else if let Some(reader) = busy {
                OpenError::Busy { reader, waited }
            } else {
                OpenError::NoCard {
                    readers: candidates,
                    others,
                    waited,
                }
            });
        }
        if readers.is_empty() {
            tell(
                Notice::WaitingForReader {
                    timeout: options.timeout,
                },
                notify,
            );
        } else if busy.is_none() {
            tell(
                Notice::WaitingForCard {
                    readers: candidates.clone(),
                    timeout: options.timeout,
                },
                notify,
            );
        }
        wait_for_change(&ctx, &readers, deadline - now);
    }
}

/// Sleeps until a reader's state changes (a card inserted or removed, a reader added), at most
/// `limit` and at most a quarter of a second, so newly connected readers are noticed too.
fn wait_for_change(ctx: &pcsc::Context, readers: &[String], limit: Duration) {
    let slice = limit.min(Duration::from_millis(250));
    let mut states: Vec<pcsc::ReaderState> = readers
        .iter()
        .filter_map(|r| CString::new(r.as_str()).ok())
        .map(|r| pcsc::ReaderState::new(r, pcsc::State::UNAWARE))
        .collect();
    if states.is_empty() || ctx.get_status_change(Duration::ZERO, &mut states).is_err() {
        thread::sleep(slice);
        return;
    }
    for s in &mut states {
        s.sync_current_state();
    }
    if ctx.get_status_change(slice, &mut states).is_err() {
        // Timeout (the usual case) or a failure: either way, look again.
    }
}
