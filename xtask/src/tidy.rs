//! Tidy checks over the source tree, run with xtask's own tests: rules of the code's
//! shape that no compiler enforces.

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    /// The enums whose names are stored and sent as text: only their own conversions
    /// (`as_str` and `FromStr` in `pulse-shared`) may spell a name.
    const NAMED_ENUMS: [&str; 5] = [
        "Role",
        "UserStatus",
        "AgentStatus",
        "ActorKind",
        "AuditAction",
    ];

    /// Literals that spell one of those names but mean something else, with why.
    const NOT_ENUM_NAMES: [(&str, &str); 7] = [
        // OpenAPI tags: the groups of operations in the document.
        ("backend/src/", "tag = \""),
        ("backend/src/api/mod.rs", "(name = \""),
        // The colour scheme that follows the system's.
        ("frontend/src/theme.rs", "\"system\""),
        ("frontend/src/app.rs", "may be \"system\""),
        // The `?user=` query parameter of the Sessions and Screenshots pages.
        ("frontend/src/pages/", ".get(\"user\")"),
        // The policy levels (company, team, employee override), not a role.
        ("frontend/src/pages/policies/", "\"employee\""),
        // The Sessions page's totals, named for the kind of time they add up.
        ("frontend/src/pages/sessions", "data-total=\""),
    ];

    fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }

    fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                rust_files(&path, found);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                found.push(path);
            }
        }
    }

    /// Every `Enum::Variant => "name"` arm of `enum_name` in `shared/src` (stored names
    /// are lower case; the arms of `label` are not).
    fn names_of(enum_name: &str) -> Vec<String> {
        let mut files = Vec::new();
        rust_files(&root().join("shared/src"), &mut files);
        let arm = format!("{enum_name}::");
        let mut names = Vec::new();
        for file in files {
            for line in std::fs::read_to_string(file).unwrap().lines() {
                let line = line.trim();
                if let Some(rest) = line.strip_prefix(&arm)
                    && let Some((_, quoted)) = rest.split_once("=> \"")
                    && let Some((name, _)) = quoted.split_once('"')
                    && name
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c == '_' || c == '.')
                {
                    names.push(name.to_owned());
                }
            }
        }
        names
    }

    /// The code of `text` that tidy rules read: comments and test modules left out.
    fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
        text.lines()
            .enumerate()
            .take_while(|(_, line)| line.trim() != "#[cfg(test)]")
            .filter(|(_, line)| {
                let line = line.trim_start();
                !line.starts_with("//")
            })
            .map(|(index, line)| (index + 1, line))
    }

    #[test]
    fn enum_names_are_spelled_only_by_their_enums() {
        let names: Vec<(String, &str)> = NAMED_ENUMS
            .iter()
            .flat_map(|enum_name| {
                let names = names_of(enum_name);
                assert!(!names.is_empty(), "no names found for {enum_name}");
                names.into_iter().map(move |name| (name, *enum_name))
            })
            .collect();
        let mut files = Vec::new();
        for dir in ["backend/src", "frontend/src"] {
            rust_files(&root().join(dir), &mut files);
        }
        let mut found = Vec::new();
        for file in files {
            let relative = file.strip_prefix(root()).unwrap().display().to_string();
            let text = std::fs::read_to_string(&file).unwrap();
            for (number, line) in code_lines(&text) {
                if NOT_ENUM_NAMES
                    .iter()
                    .any(|(path, context)| relative.starts_with(path) && line.contains(context))
                {
                    continue;
                }
                for (name, enum_name) in &names {
                    if line.contains(&format!("\"{name}\"")) || line.contains(&format!("'{name}'"))
                    {
                        found.push(format!("{relative}:{number}: {name:?} ({enum_name})"));
                    }
                }
            }
        }
        assert!(
            found.is_empty(),
            "use the enum (its `as_str()`, or the value itself) instead of its name:\n{}",
            found.join("\n")
        );
    }
}
