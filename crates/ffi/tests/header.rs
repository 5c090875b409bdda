//! The committed header is what cbindgen generates from the sources today.

use std::path::Path;

#[test]
fn committed_header_is_current() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml");
    let bindings = cbindgen::Builder::new()
        .with_crate(dir)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header");
    let mut fresh = Vec::new();
    bindings.write(&mut fresh);
    let path = dir.join("include").join("mynacard.h");
    if std::env::var_os("MYNACARD_BLESS_HEADER").is_some() {
        std::fs::write(&path, &fresh).expect("write the header");
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "include/mynacard.h is stale: run `MYNACARD_BLESS_HEADER=1 cargo test -p mynacard-ffi \
         --test header` and commit it"
    );
}

/// The header is ISO C11 and ISO C++17: a program that includes it compiles with
/// `-Wall -Wextra -pedantic-errors -Werror` as both (no zero-length array, no extension). A
/// missing compiler is a loud skip, or a failure when `CI=true`.
#[test]
fn header_compiles_as_strict_c11_and_cpp17() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let include = dir.join("include");
    let work = tempfile::tempdir().expect("temp dir");
    // Uses every opaque type and struct, so that each one's declaration is compiled.
    let program = "#include \"mynacard.h\"\n\
        int main(void) {\n\
            struct mynacard_card *card = NULL;\n\
            struct mynacard_kiosk *kiosk = NULL;\n\
            struct mynacard_buffer buffer = {NULL, 0, 0};\n\
            struct mynacard_pin_status status;\n\
            struct mynacard_basic_four four;\n\
            struct mynacard_kiosk_step step;\n\
            struct mynacard_monitor *monitor = NULL;\n\
            struct mynacard_card_event event;\n\
            (void)card; (void)kiosk; (void)buffer; (void)status; (void)four; (void)step;\n\
            (void)monitor; (void)event;\n\
            return mynacard_status_name(MYNACARD_OK) == NULL;\n\
        }\n";
    for (compiler, std, file) in [
        ("cc", "-std=c11", "main.c"),
        ("c++", "-std=c++17", "main.cpp"),
    ] {
        let src = work.path().join(file);
        std::fs::write(&src, program).expect("write the program");
        let out = match std::process::Command::new(compiler)
            .args([
                std,
                "-Wall",
                "-Wextra",
                "-pedantic-errors",
                "-Werror",
                "-fsyntax-only",
            ])
            .arg("-I")
            .arg(&include)
            .arg(&src)
            .output()
        {
            Ok(o) => o,
            Err(_) => {
                if std::env::var("CI").as_deref() == Ok("true") {
                    panic!("{compiler} is required in CI (CI=true) but is not installed");
                }
                eprintln!("\n!!!!!!!! SKIPPED: {compiler} is not installed; the header was NOT compiled as {std} !!!!!!!!\n");
                continue;
            }
        };
        assert!(
            out.status.success(),
            "mynacard.h does not compile as strict {std} with {compiler}:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
