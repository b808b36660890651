//! The settings tables and `docs/index.md` list the same settings: a new row without docs, or
//! docs for a setting that is gone, fails here.

use std::collections::BTreeSet;

use super::assume_role_block::{self, AssumeRoleBlock};
use super::oidc_block::{self, OidcBlock};
use super::provider_block::ProviderBlock;
use super::row::Setting;

const INDEX: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/index.md"));

/// Every setting as `(name, variable)`: `region`, `assume_role.agency_name`, ...
fn table() -> BTreeSet<(String, String)> {
    let rows = |prefix: &str, rows: &[Setting]| {
        rows.iter()
            .map(|row| {
                let name = if prefix.is_empty() {
                    row.name.to_owned()
                } else {
                    format!("{prefix}.{}", row.name)
                };
                (name, row.env.unwrap_or("").to_owned())
            })
            .collect::<Vec<_>>()
    };
    let mut all = BTreeSet::new();
    all.extend(rows("", ProviderBlock::ROWS));
    all.extend(rows(assume_role_block::BLOCK, AssumeRoleBlock::ROWS));
    all.extend(rows(oidc_block::BLOCK, OidcBlock::ROWS));
    all
}

/// The rows of the table between `<!-- settings:begin -->` and `<!-- settings:end -->`:
/// `` | `name` | `VARIABLE` | `` (or `—` for none).
fn documented() -> BTreeSet<(String, String)> {
    let start = INDEX
        .find("<!-- settings:begin -->")
        .expect("docs/index.md has a settings table");
    let end = INDEX[start..]
        .find("<!-- settings:end -->")
        .map(|at| start + at)
        .expect("the settings table ends");
    INDEX[start..end]
        .lines()
        .filter(|line| line.starts_with("| `"))
        .map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let unquote = |cell: &str| cell.trim_matches('`').replace('—', "");
            (unquote(cells[1]), unquote(cells[2]))
        })
        .collect()
}

#[test]
fn every_setting_is_documented_with_its_variable_and_the_docs_list_no_other() {
    let table = table();
    let documented = documented();
    let undocumented: Vec<_> = table.difference(&documented).collect();
    let unknown: Vec<_> = documented.difference(&table).collect();
    assert!(
        undocumented.is_empty(),
        "settings missing from docs/index.md's settings table (or with another variable): {undocumented:?}"
    );
    assert!(
        unknown.is_empty(),
        "docs/index.md's settings table lists what no table row has: {unknown:?}"
    );
}

#[test]
fn every_variable_the_docs_mention_is_a_settings_variable() {
    let variables: BTreeSet<String> = table().into_iter().map(|(_, v)| v).collect();
    // Read by the code but not a setting: where the ECS metadata lookup goes (tests only).
    let not_settings = ["HW_METADATA_ENDPOINT"];
    let mut rest = INDEX;
    while let Some(at) = rest.find("HW_") {
        let name: String = rest[at..]
            .chars()
            .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
            .collect();
        rest = &rest[at + name.len()..];
        let name = name.trim_end_matches('_');
        // `HW_ASSUME_ROLE_*` and `HW_ASSUME_ROLE_ID_TOKEN(_FILE)` name several at once.
        if variables.iter().any(|v| v.starts_with(name)) || not_settings.contains(&name) {
            continue;
        }
        panic!("docs/index.md mentions {name}, which no settings row reads");
    }
}

#[test]
fn documented_defaults_are_the_clients() {
    let client = crate::mrs::ClientConfig::new("r", crate::mrs::Credentials::Token(String::new()));
    let row = |name: &str| {
        ProviderBlock::ROWS
            .iter()
            .find(|row| row.name == name)
            .expect("row")
    };
    let retries = format!("default `{}`", client.max_retries);
    assert!(row("max_retries").markdown.contains(&retries), "{retries}");
    let timeout = format!("default `\"{}s\"`", client.request_timeout.as_secs());
    assert!(
        row("request_timeout").markdown.contains(&timeout),
        "{timeout}"
    );
    let duration = format!(
        "default `{}`",
        crate::mrs::credentials::DEFAULT_ASSUME_ROLE_DURATION_S
    );
    assert!(
        AssumeRoleBlock::ROWS
            .iter()
            .chain(OidcBlock::ROWS)
            .filter(|r| r.name == "duration")
            .all(|r| r.markdown.contains(&duration))
    );
}
