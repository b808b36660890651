//! The pages in docs/ carry two generated sections — the example from examples/ and the schema
//! from the code — between markers. This test fails when either has drifted;
//! `UPDATE_DOCS=1 cargo test --test docs` rewrites them.
//!
//! The list of pages comes from the provider itself: one page and one example per resource,
//! data source and action it offers, in the Registry layout (`docs/resources/<name>.md`,
//! `examples/resources/<type>/resource.tf`, …). A new type without its page fails here, and so
//! does a page left behind by a type that went.

use std::path::Path;

use terraform_provider_mrs::framework::docs::schema_markdown;
use terraform_provider_mrs::framework::{Described, Provider, Schema};
use terraform_provider_mrs::provider::MrsProvider;

struct Page {
    doc: String,
    example: String,
    schema: Schema,
}

/// Where the Registry expects the pages of one kind of type, and what its example is called.
struct Kind {
    docs: &'static str,
    examples: &'static str,
    example_file: &'static str,
}

const RESOURCES: Kind = Kind {
    docs: "docs/resources",
    examples: "examples/resources",
    example_file: "resource.tf",
};
const DATA_SOURCES: Kind = Kind {
    docs: "docs/data-sources",
    examples: "examples/data-sources",
    example_file: "data-source.tf",
};
const ACTIONS: Kind = Kind {
    docs: "docs/actions",
    examples: "examples/actions",
    example_file: "action.tf",
};

fn page(kind: &Kind, item: &dyn Described) -> Page {
    let type_name = item.type_name();
    let prefix = format!("{}_", MrsProvider.identity().name);
    let short = type_name
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{type_name} does not start with {prefix}"));
    Page {
        doc: format!("{}/{short}.md", kind.docs),
        example: format!("{}/{type_name}/{}", kind.examples, kind.example_file),
        schema: item.schema().clone(),
    }
}

fn pages() -> Vec<Page> {
    let provider = MrsProvider;
    let mut pages = vec![Page {
        doc: "docs/index.md".to_owned(),
        example: "examples/provider/provider.tf".to_owned(),
        schema: provider.schema(),
    }];
    for r in provider.resources() {
        pages.push(page(&RESOURCES, r.as_ref()));
    }
    for d in provider.data_sources() {
        pages.push(page(&DATA_SOURCES, d.as_ref()));
    }
    for a in provider.actions() {
        pages.push(page(&ACTIONS, a.as_ref()));
    }
    pages
}

/// Replaces the text between `<!-- NAME:begin -->` and `<!-- NAME:end -->`.
fn replace_section(page: &str, name: &str, body: &str) -> Option<String> {
    let begin = format!("<!-- {name}:begin -->\n");
    let end = format!("<!-- {name}:end -->");
    let start = page.find(&begin)? + begin.len();
    let stop = start + page[start..].find(&end)?;
    Some(format!("{}{}{}", &page[..start], body, &page[stop..]))
}

#[test]
fn docs_match_examples_and_schemas() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let update = std::env::var_os("UPDATE_DOCS").is_some();
    let mut stale = Vec::new();
    for page in pages() {
        let path = root.join(&page.doc);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", page.doc));
        let example = std::fs::read_to_string(root.join(&page.example))
            .unwrap_or_else(|e| panic!("{}: {e}", page.example));
        let expected = replace_section(&text, "example", &format!("```terraform\n{example}```\n"))
            .and_then(|t| replace_section(&t, "schema", &schema_markdown(&page.schema)))
            .unwrap_or_else(|| panic!("{} lacks the example/schema markers", page.doc));
        if expected != text {
            if update {
                std::fs::write(&path, expected).expect("write doc");
            } else {
                stale.push(page.doc);
            }
        }
    }
    assert!(
        stale.is_empty(),
        "docs out of date: {stale:?}; run `UPDATE_DOCS=1 cargo test --test docs`"
    );
}

#[test]
fn every_attribute_has_a_description() {
    fn check(schema: &Schema, owner: &str) {
        for a in &schema.attributes {
            assert!(
                !a.description.is_empty() && !a.markdown_description.is_empty(),
                "{owner}.{} lacks a description",
                a.name
            );
        }
        for b in &schema.blocks {
            check(&b.schema, &format!("{owner}.{}", b.name));
        }
    }
    for page in pages() {
        check(&page.schema, &page.doc);
    }
}

#[test]
fn every_page_and_example_belongs_to_a_type_the_provider_offers() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let pages = pages();
    let mut orphans = Vec::new();
    for kind in [RESOURCES, DATA_SOURCES, ACTIONS] {
        for (folder, wanted) in [
            (
                kind.docs,
                pages.iter().map(|p| p.doc.clone()).collect::<Vec<_>>(),
            ),
            (
                kind.examples,
                pages
                    .iter()
                    .filter_map(|p| Path::new(&p.example).parent())
                    .map(|p| p.display().to_string())
                    .collect(),
            ),
        ] {
            let entries =
                std::fs::read_dir(root.join(folder)).unwrap_or_else(|e| panic!("{folder}: {e}"));
            for entry in entries {
                let name = entry.expect("a directory entry").file_name();
                let relative = format!("{folder}/{}", name.to_string_lossy());
                if !wanted.contains(&relative) {
                    orphans.push(relative);
                }
            }
        }
    }
    assert!(
        orphans.is_empty(),
        "pages or examples for types the provider does not offer: {orphans:?}"
    );
}
