//! `xtask kiosk-screenshots [--out DIR]`: every screen kind of `myna-kiosk --web`, in Japanese
//! and English, as PNGs of headless Chromium at 1280×800 (the reference kiosk screen), written as
//! `DIR/<lang>-<nn>-<screen>.png` (default `docs/kiosk/`).
//!
//! The kiosk runs in virtual mode (no reader, no pcscd: `--sim-state` in a temporary directory),
//! and the walk uses the page's own buttons, the virtual reader's remove/insert demo buttons
//! included, as a person would. Needs `chromium` and `chromedriver` (Debian: chromium-driver)
//! and, for the Japanese text, a CJK font (fonts-noto-cjk).

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

/// How long one screen may take to come.
const SCREEN_TIMEOUT: Duration = Duration::from_secs(60);

/// Kills a child process on drop.
struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// ChromeDriver, killed on drop with the browser it started (found by its profile directory,
/// killed by process id: ChromeDriver killed leaves its browser running otherwise).
struct Driver {
    _driver: Kill,
    profile: PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let dir = self.profile.to_string_lossy().into_owned();
        if let Ok(procs) = std::fs::read_dir("/proc") {
            for p in procs.flatten() {
                let Ok(pid) = p.file_name().to_string_lossy().parse::<u32>() else {
                    continue;
                };
                let cmdline = std::fs::read(p.path().join("cmdline")).unwrap_or_default();
                if String::from_utf8_lossy(&cmdline).contains(&dir) {
                    let _ = Command::new("kill")
                        .arg(pid.to_string())
                        .stderr(Stdio::null())
                        .status();
                }
            }
        }
    }
}

/// The command line: `kiosk-screenshots [--out DIR]`.
pub fn main(args: &[String]) -> Result<(), String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace")
        .to_path_buf();
    let mut out = root.join("docs/kiosk");
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match (a.as_str(), it.next()) {
            ("--out", Some(dir)) => out = PathBuf::from(dir),
            _ => return Err("usage: xtask kiosk-screenshots [--out DIR]".into()),
        }
    }
    for (tool, probe) in [("chromium", "--version"), ("chromedriver", "--version")] {
        let ok = Command::new(tool)
            .arg(probe)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            return Err(format!(
                "{tool} is needed (Debian: apt-get install chromium chromium-driver fonts-noto-cjk)"
            ));
        }
    }
    let bin = build_kiosk(&root)?;
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let mut written = Vec::new();
    for lang in ["ja", "en"] {
        let files = runtime.block_on(walk(&bin, lang, &out))?;
        written.extend(files);
    }
    for f in &written {
        println!("{}", f.display());
    }
    eprintln!(
        "kiosk-screenshots: {} files in {}",
        written.len(),
        out.display()
    );
    Ok(())
}

/// Builds `myna-kiosk` (virtual mode needs no feature) and returns its path.
fn build_kiosk(root: &Path) -> Result<PathBuf, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let o = Command::new(cargo)
        .current_dir(root)
        .args([
            "build",
            "-p",
            "mynacard-kiosk",
            "--bin",
            "myna-kiosk",
            "--message-format=json",
        ])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cargo build: {e}"))?;
    if !o.status.success() {
        return Err("cargo build -p mynacard-kiosk failed".into());
    }
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "myna-kiosk")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .ok_or_else(|| "cargo build did not report myna-kiosk's executable".into())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(9515)
}

/// One language's walk through every screen kind, on a fresh virtual card.
async fn walk(bin: &Path, lang: &str, out: &Path) -> Result<Vec<PathBuf>, String> {
    let dir = std::env::temp_dir().join(format!(
        "mynacard-kiosk-screenshots-{}-{lang}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let mut kiosk = Kill(
        Command::new(bin)
            .args([
                "--web",
                "--listen",
                "127.0.0.1:0",
                "--idle",
                "600",
                "--lang",
                lang,
            ])
            .arg("--sim-state")
            .arg(dir.join("card.json"))
            .arg("--audit")
            .arg(dir.join("audit.sqlite3"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("start {}: {e}", bin.display()))?,
    );
    let mut first = String::new();
    let mut stdout = BufReader::new(kiosk.0.stdout.take().ok_or("no stdout")?);
    stdout.read_line(&mut first).map_err(|e| e.to_string())?;
    // Keep reading (the station lines), so the kiosk never writes into a closed pipe.
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    let url = first.trim().to_owned();
    if !url.starts_with("http://127.0.0.1:") {
        return Err(format!("myna-kiosk's first line is not its URL: {first:?}"));
    }
    let origin = url
        .split_once("/?")
        .map(|(o, _)| o.to_owned())
        .unwrap_or_default();
    let port = free_port();
    let _driver = Driver {
        _driver: Kill(
            Command::new("chromedriver")
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| format!("chromedriver: {e}"))?,
        ),
        profile: dir.join("profile"),
    };
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if start.elapsed() > Duration::from_secs(60) {
            return Err("chromedriver did not start".into());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let Value::Object(caps) = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--hide-scrollbars", "--window-size=1280,800", "--force-device-scale-factor=1",
                     format!("--user-data-dir={}", dir.join("profile").display())]
        }
    }) else {
        unreachable!("an object")
    };
    let c = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .map_err(|e| format!("WebDriver session: {e}"))?;
    // This language's pictures of an earlier run go first (a screen not caught this time, such as
    // busy, must not leave a stale picture behind).
    if let Ok(entries) = std::fs::read_dir(out) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with(&format!("{lang}-")) && name.ends_with(".png") {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    let r = shots(&c, &url, &origin, lang, out).await;
    let _ = c.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    r
}

/// The screen's kind and id.
async fn screen(c: &Client) -> Result<(String, String), String> {
    let v = c
        .execute(
            "const m = document.getElementById('screen'); \
             return m ? [m.dataset.kind || '', m.dataset.screen || ''] : ['', ''];",
            vec![],
        )
        .await
        .map_err(|e| e.to_string())?;
    Ok((
        v[0].as_str().unwrap_or_default().to_owned(),
        v[1].as_str().unwrap_or_default().to_owned(),
    ))
}

/// Waits for a screen of `kind` other than `after`; its id.
async fn wait_kind(c: &Client, kind: &str, after: &str) -> Result<String, String> {
    let start = Instant::now();
    loop {
        let (k, id) = screen(c).await?;
        if k == kind && id != after {
            // Let the page finish laying out (fonts) before the picture.
            tokio::time::sleep(Duration::from_millis(300)).await;
            return Ok(id);
        }
        if start.elapsed() > SCREEN_TIMEOUT {
            return Err(format!("no {kind} screen came (the page shows {k} {id})"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn touch(c: &Client, css: &str) -> Result<(), String> {
    c.wait()
        .at_most(SCREEN_TIMEOUT)
        .for_element(Locator::Css(css))
        .await
        .map_err(|e| format!("no {css}: {e}"))?
        .click()
        .await
        .map_err(|e| format!("touch {css}: {e}"))
}

/// Touches `css` and waits for the next screen of `kind`.
async fn step(c: &Client, css: &str, kind: &str) -> Result<String, String> {
    let (_, id) = screen(c).await?;
    touch(c, css).await?;
    wait_kind(c, kind, &id).await
}

/// Types `value` on the pad (without OK).
async fn keys(c: &Client, value: &str) -> Result<(), String> {
    for ch in value.chars() {
        touch(c, &format!("button[data-key=\"{ch}\"]")).await?;
    }
    Ok(())
}

/// Types `value` and OK; waits for `kind`.
async fn pad(c: &Client, value: &str, kind: &str) -> Result<String, String> {
    keys(c, value).await?;
    step(c, "button[data-key=\"ok\"]", kind).await
}

/// Sizes the window so that the page itself (the viewport) is `width`×`height` CSS pixels, as on
/// the kiosk's screen (`--window-size` counts the window, not the page).
pub async fn viewport(c: &Client, width: u32, height: u32) -> Result<(), String> {
    for _ in 0..3 {
        let v = c
            .execute("return [window.innerWidth, window.innerHeight];", vec![])
            .await
            .map_err(|e| e.to_string())?;
        let (iw, ih) = (v[0].as_u64().unwrap_or(0), v[1].as_u64().unwrap_or(0));
        if (iw, ih) == (u64::from(width), u64::from(height)) {
            return Ok(());
        }
        let (w, h) = c.get_window_size().await.map_err(|e| e.to_string())?;
        let w = (w + u64::from(width)).saturating_sub(iw);
        let h = (h + u64::from(height)).saturating_sub(ih);
        c.set_window_size(w as u32, h as u32)
            .await
            .map_err(|e| e.to_string())?;
    }
    Err(format!("the page could not be sized to {width}×{height}"))
}

/// What the contract's layout rules catch on the page as shown: a visible button smaller than
/// 48 px high, a PIN-pad key smaller than 64×64, or a visible element reaching past the
/// viewport's right or bottom edge (overflow).
async fn layout_problems(c: &Client) -> Result<Vec<String>, String> {
    let v = c
        .execute(
            r#"
            const out = [];
            const W = window.innerWidth, H = window.innerHeight;
            const name = (e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
              (e.dataset.key ? '[data-key=' + e.dataset.key + ']' : '') +
              (e.dataset.answer ? '[data-answer=' + e.dataset.answer + ']' : '') +
              (e.dataset.choice ? '[data-choice=' + e.dataset.choice + ']' : '');
            const shown = (e) => { const r = e.getBoundingClientRect();
              return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden'; };
            for (const b of document.querySelectorAll('button')) {
              if (!shown(b)) continue;
              const r = b.getBoundingClientRect();
              if (r.height < 48) out.push(name(b) + ' is ' + Math.round(r.height) + ' px high');
              if (b.dataset.key && (r.width < 64 || r.height < 64))
                out.push(name(b) + ' is ' + Math.round(r.width) + 'x' + Math.round(r.height));
            }
            for (const e of document.querySelectorAll('body *')) {
              if (!shown(e)) continue;
              const r = e.getBoundingClientRect();
              if (r.right > W + 1 || r.bottom > H + 1)
                out.push(name(e) + ' reaches past the screen (' + Math.round(r.right) + ',' +
                         Math.round(r.bottom) + ')');
            }
            return out.slice(0, 20);"#,
            vec![],
        )
        .await
        .map_err(|e| e.to_string())?;
    Ok(v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| p.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default())
}

/// The screens, in the order of the walk (their numbers in the file names).
const SCREENS: &[&str] = &[
    "menu",
    "yesno",
    "secret-digits",
    "secret-letters",
    "busy",
    "done",
    "start",
    "start-notice",
    "done-not-possible",
    "wrong-pin-try-again",
    "confirm-last-try",
    "other-tab",
];

/// Writes the page as `<lang>-<nn>-<name>.png`.
struct Shooter<'a> {
    c: &'a Client,
    lang: &'a str,
    out: &'a Path,
    files: Vec<PathBuf>,
    problems: usize,
}

impl Shooter<'_> {
    async fn shot(&mut self, name: &str) -> Result<(), String> {
        // The same number for a screen in both languages, whether or not busy was caught.
        let n = SCREENS
            .iter()
            .position(|s| *s == name)
            .ok_or_else(|| format!("unlisted screen {name}"))?
            + 1;
        for p in layout_problems(self.c).await? {
            eprintln!("kiosk-screenshots: {}-{n:02}-{name}: {p}", self.lang);
            self.problems += 1;
        }
        let png = self.c.screenshot().await.map_err(|e| e.to_string())?;
        let path = self.out.join(format!("{}-{n:02}-{name}.png", self.lang));
        std::fs::write(&path, png).map_err(|e| format!("{}: {e}", path.display()))?;
        self.files.push(path);
        Ok(())
    }
}

/// The walk: the virtual card starts inserted, so the first screen is the PIN status and menu.
async fn shots(
    c: &Client,
    url: &str,
    origin: &str,
    lang: &str,
    out: &Path,
) -> Result<Vec<PathBuf>, String> {
    let mut s = Shooter {
        c,
        lang,
        out,
        files: Vec::new(),
        problems: 0,
    };
    c.goto(url).await.map_err(|e| e.to_string())?;
    viewport(c, 1280, 800).await?;
    wait_kind(c, "menu", "").await?;
    s.shot("menu").await?;
    // Signature password, through the user-authentication PIN.
    step(c, "button[data-choice=\"1\"]", "yesno").await?;
    s.shot("yesno").await?;
    step(c, "button[data-answer=\"yes\"]", "secret").await?;
    keys(c, "12").await?;
    s.shot("secret-digits").await?;
    pad(c, "34", "secret").await?;
    keys(c, "NEWPA").await?;
    s.shot("secret-letters").await?;
    pad(c, "SS1", "secret").await?;
    keys(c, "NEWPASS1").await?;
    // The busy screen lasts as long as the card takes: catch it if we can.
    let (_, id) = screen(c).await?;
    touch(c, "button[data-key=\"ok\"]").await?;
    if screen(c).await?.0 == "busy" {
        s.shot("busy").await?;
        // Kept only if the page still showed busy after the picture was taken.
        if screen(c).await?.0 != "busy" {
            if let Some(f) = s.files.pop() {
                let _ = std::fs::remove_file(f);
            }
        }
    }
    wait_kind(c, "done", &id).await?;
    s.shot("done").await?;
    // Card out: the start screen, no notice.
    step(c, "button#virtual-remove", "start").await?;
    s.shot("start").await?;
    // Card in, pulled out mid-flow: the start screen with the notice.
    step(c, "button#virtual-insert", "menu").await?;
    step(c, "button[data-choice=\"1\"]", "yesno").await?;
    step(c, "button#virtual-remove", "start").await?;
    s.shot("start-notice").await?;
    // The residence PIN: not possible here.
    step(c, "button#virtual-insert", "menu").await?;
    step(c, "button[data-choice=\"3\"]", "done").await?;
    s.shot("done-not-possible").await?;
    // Two wrong user-authentication PINs, then the last-try question.
    step(c, "button#virtual-remove", "start").await?;
    step(c, "button#virtual-insert", "menu").await?;
    step(c, "button[data-choice=\"1\"]", "yesno").await?;
    step(c, "button[data-answer=\"yes\"]", "secret").await?;
    pad(c, "9999", "secret").await?;
    pad(c, "NEWPASS2", "secret").await?;
    pad(c, "NEWPASS2", "yesno").await?;
    s.shot("wrong-pin-try-again").await?;
    step(c, "button[data-answer=\"yes\"]", "secret").await?;
    pad(c, "9998", "yesno").await?;
    step(c, "button[data-answer=\"yes\"]", "secret").await?;
    pad(c, "1234", "confirm").await?;
    s.shot("confirm-last-try").await?;
    // A second tab takes the station; the first is told and offered to take it back.
    let first = c.window().await.map_err(|e| e.to_string())?;
    let second = c.new_window(true).await.map_err(|e| e.to_string())?.handle;
    c.switch_to_window(second)
        .await
        .map_err(|e| e.to_string())?;
    c.goto(&format!("{origin}/station/0/"))
        .await
        .map_err(|e| e.to_string())?;
    wait_kind(c, "confirm", "").await?;
    c.close_window().await.map_err(|e| e.to_string())?;
    c.switch_to_window(first).await.map_err(|e| e.to_string())?;
    touch(c, "button[data-answer=\"no\"]").await?;
    c.wait()
        .at_most(SCREEN_TIMEOUT)
        .for_element(Locator::Css("button#take-over"))
        .await
        .map_err(|e| format!("no take-over button: {e}"))?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    s.shot("other-tab").await?;
    if s.problems > 0 {
        eprintln!(
            "kiosk-screenshots: {lang}: {} layout problems (above)",
            s.problems
        );
    }
    Ok(s.files)
}
