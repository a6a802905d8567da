//! Tidy checks on the app's own source, as ordinary tests: every file says what lives in
//! it, none grows past the size where it should become a folder, and none makes a
//! resource, action, effect, memo or sort the way that compiles another copy of the
//! framework's code.

use std::path::{Path, PathBuf};

/// The most lines one file may have; past it, split the page or module into a folder.
const MAX_LINES: usize = 600;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

fn sources() -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    assert!(!files.is_empty(), "no sources found");
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            (path, text)
        })
        .collect()
}

#[test]
fn every_file_starts_with_a_module_doc() {
    for (path, text) in sources() {
        assert!(
            text.starts_with("//!"),
            "{} does not start with a `//!` line",
            path.display()
        );
    }
}

#[test]
fn no_file_is_over_600_lines() {
    for (path, text) in sources() {
        let lines = text.lines().count();
        assert!(
            lines <= MAX_LINES,
            "{} has {lines} lines: make it a folder with a file per section",
            path.display()
        );
    }
}

/// Calls that compile the framework's (or the standard library's) machinery once per
/// closure, and the one-instance way the app makes each (ARCHITECTURE.md, "Where the
/// WASM's bytes go"). `join.rs` keeps a `LocalResource` (its answer's error is not an
/// `ApiError`), the Agent Monitor's rows a `Memo` that reads its previous value.
const ONE_INSTANCE: [(&str, &str, &[&str]); 6] = [
    (
        "LocalResource::new(",
        "api::Loaded::new",
        &["api/loaded.rs", "pages/join.rs"],
    ),
    ("Action::new_local(", "forms::Work::new", &["forms.rs"]),
    ("Effect::new(", "reactive::effect", &["reactive.rs"]),
    (
        "Memo::new(",
        "reactive::memo",
        &["reactive.rs", "pages/agents/table.rs"],
    ),
    (".sort_by_key(", "sort::by_key", &["sort.rs"]),
    (".sort()", "sort::ascending", &["sort.rs"]),
];

#[test]
fn the_framework_is_compiled_once_per_kind_of_closure() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for (path, text) in sources() {
        let file = path
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if file == "tidy.rs" {
            continue;
        }
        for (call, instead, allowed) in ONE_INSTANCE {
            assert!(
                allowed.contains(&file.as_str()) || !text.contains(call),
                "{file} calls {call}: use {instead}, which the whole app shares"
            );
        }
    }
}
