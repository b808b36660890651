//! The pages in docs/ carry two generated sections — the example from examples/ and the schema
//! from the code — between markers. This test fails when either has drifted;
//! `UPDATE_DOCS=1 cargo test --test docs` rewrites them.

use std::path::Path;

use terraform_provider_mrs::framework::docs::schema_markdown;
use terraform_provider_mrs::framework::{Provider, Schema};
use terraform_provider_mrs::provider::MrsProvider;

struct Page {
    doc: &'static str,
    example: &'static str,
    schema: Schema,
}

fn pages() -> Vec<Page> {
    let provider = MrsProvider;
    let resource = |name: &str| {
        provider
            .resources()
            .into_iter()
            .find(|r| r.type_name() == name)
            .map(|r| r.schema().clone())
    };
    let data_source = |name: &str| {
        provider
            .data_sources()
            .into_iter()
            .find(|d| d.type_name() == name)
            .map(|d| d.schema().clone())
    };
    let action = |name: &str| {
        provider
            .actions()
            .into_iter()
            .find(|a| a.type_name() == name)
            .map(|a| a.schema().clone())
    };
    vec![
        Page {
            doc: "docs/index.md",
            example: "examples/provider/provider.tf",
            schema: provider.schema(),
        },
        Page {
            doc: "docs/resources/job_kill.md",
            example: "examples/resources/mrs_job_kill/resource.tf",
            schema: resource("mrs_job_kill").expect("mrs_job_kill resource"),
        },
        Page {
            doc: "docs/data-sources/job_execution.md",
            example: "examples/data-sources/mrs_job_execution/data-source.tf",
            schema: data_source("mrs_job_execution").expect("mrs_job_execution data source"),
        },
        Page {
            doc: "docs/data-sources/job_executions.md",
            example: "examples/data-sources/mrs_job_executions/data-source.tf",
            schema: data_source("mrs_job_executions").expect("mrs_job_executions data source"),
        },
        Page {
            doc: "docs/resources/jobs_kill.md",
            example: "examples/resources/mrs_jobs_kill/resource.tf",
            schema: resource("mrs_jobs_kill").expect("mrs_jobs_kill resource"),
        },
        Page {
            doc: "docs/actions/jobs_kill.md",
            example: "examples/actions/mrs_jobs_kill/action.tf",
            schema: action("mrs_jobs_kill").expect("mrs_jobs_kill action"),
        },
        Page {
            doc: "docs/actions/job_kill.md",
            example: "examples/actions/mrs_job_kill/action.tf",
            schema: action("mrs_job_kill").expect("mrs_job_kill action"),
        },
    ]
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
        let path = root.join(page.doc);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", page.doc));
        let example = std::fs::read_to_string(root.join(page.example)).expect(page.example);
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
        check(&page.schema, page.doc);
    }
}
