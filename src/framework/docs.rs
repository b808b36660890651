//! Renders a schema as the "Schema" section of a Terraform Registry doc page, in the layout
//! tfplugindocs uses (Required / Optional / Read-Only, then one section per nested block), so the
//! pages in `docs/` can be checked against the code and never drift from it.

use std::fmt::Write;

use super::{Attribute, Nesting, Schema};
use crate::tfvalue::Type;

/// The schema section as markdown, starting with `## Schema`.
pub fn schema_markdown(schema: &Schema) -> String {
    let mut out = String::from("## Schema\n");
    render_block(&mut out, schema, "");
    out
}

fn type_label(ty: &Type) -> String {
    match ty {
        Type::String => "String".into(),
        Type::Number => "Number".into(),
        Type::Bool => "Boolean".into(),
        Type::Dynamic => "Dynamic".into(),
        Type::List(inner) => format!("List of {}", type_label(inner)),
        Type::Set(inner) => format!("Set of {}", type_label(inner)),
        Type::Map(inner) => format!("Map of {}", type_label(inner)),
        Type::Tuple(_) => "Tuple".into(),
        Type::Object { .. } => "Object".into(),
    }
}

fn attribute_line(a: &Attribute) -> String {
    let text = if a.markdown_description.is_empty() {
        &a.description
    } else {
        &a.markdown_description
    };
    let mut flags = vec![type_label(&a.ty)];
    if a.sensitive {
        flags.push("Sensitive".into());
    }
    format!("- `{}` ({}) {}\n", a.name, flags.join(", "), text)
}

fn render_block(out: &mut String, schema: &Schema, prefix: &str) {
    type Belongs = fn(&Attribute) -> bool;
    let groups: [(&str, Belongs); 3] = [
        ("Required", |a| a.required),
        ("Optional", |a| a.optional),
        ("Read-Only", |a| {
            a.computed && !a.optional && !a.required && a.default.is_none()
        }),
    ];
    for (title, belongs) in groups {
        let attrs: Vec<&Attribute> = schema.attributes.iter().filter(|a| belongs(a)).collect();
        let blocks_here = title == "Optional" && !schema.blocks.is_empty();
        if attrs.is_empty() && !blocks_here {
            continue;
        }
        let _ = write!(out, "\n### {title}\n\n");
        for a in attrs {
            out.push_str(&attribute_line(a));
        }
        if blocks_here {
            for b in &schema.blocks {
                let anchor = format!("nestedblock--{prefix}{}", b.name);
                let kind = match b.nesting {
                    Nesting::Single => "Block",
                    Nesting::List => "Block List",
                };
                let _ = writeln!(
                    out,
                    "- `{}` ({kind}) {} (see [below for nested schema](#{anchor}))",
                    b.name, b.schema.description
                );
            }
        }
    }
    for b in &schema.blocks {
        let anchor = format!("nestedblock--{prefix}{}", b.name);
        let _ = write!(
            out,
            "\n<a id=\"{anchor}\"></a>\n### Nested Schema for `{prefix}{}`\n",
            b.name
        );
        render_block(out, &b.schema, &format!("{prefix}{}.", b.name));
    }
}
