//! Schemas: the attributes and blocks a provider, resource or data source declares.
//!
//! A schema is built once with small builders and then drives everything the framework does for
//! its owner: the value type used to decode Terraform's messages, validation of known values,
//! defaults and replacement in plans, and the documentation Terraform shows in editors.

use super::validator::{self, Validator};
use crate::tfvalue::{Type, Value};

/// Checks one known string value; `Err` carries the sentence shown to the user. One kind of
/// [`Validator`]: see [`Attribute::validate_string`].
pub type StringValidator = fn(&str) -> Result<(), String>;

/// A check across attributes of one object, declared on its schema and run by the framework
/// whenever a configuration is validated or planned. Like terraform-plugin-framework's
/// validators, a rule only judges values it knows: while a value it needs is unknown (a module
/// variable at `terraform validate`, another resource's ID at plan) it waits, and Terraform
/// asks again once the value is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// `attribute` may not be set together with any of `others`: an error on `attribute` when it
    /// and one of them are both known to be set.
    Conflicts {
        /// The attribute the error lands on.
        attribute: String,
        /// The attributes it excludes.
        others: Vec<String>,
        /// What to do about it, one or two sentences.
        advice: String,
    },
    /// Either all of `attributes` are set or none is: an error on each one left null while
    /// another is set, once none of them is unknown.
    RequiredTogether {
        /// The attributes that go together.
        attributes: Vec<String>,
        /// What to do about it.
        advice: String,
    },
}

/// The schema of a provider, resource, data source or action.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    /// Bumped when the stored state's shape changes (resources only).
    pub version: i64,
    /// Plain-text description.
    pub description: String,
    /// Markdown description, shown in docs and editors that render markdown.
    pub markdown_description: String,
    /// Attributes, in declaration order.
    pub attributes: Vec<Attribute>,
    /// Nested blocks such as `timeouts { ... }`.
    pub blocks: Vec<Block>,
    /// Checks across attributes.
    pub rules: Vec<Rule>,
}

/// One attribute of a schema.
#[derive(Debug, Clone)]
pub struct Attribute {
    /// Name as written in HCL.
    pub name: String,
    /// Terraform type.
    pub ty: Type,
    /// Plain-text description.
    pub description: String,
    /// Markdown description.
    pub markdown_description: String,
    /// The configuration must set it.
    pub required: bool,
    /// The configuration may set it.
    pub optional: bool,
    /// The provider may set it.
    pub computed: bool,
    /// Terraform hides it in plans and output.
    pub sensitive: bool,
    /// A change of this attribute destroys and recreates the resource.
    pub requires_replace: bool,
    /// Value planned when the configuration leaves it null (the attribute must be computed).
    pub default: Option<Value>,
    /// Typed checks run at validate and plan time (a string validator on each element of a
    /// list, set or map of strings).
    pub validators: Vec<Validator>,
}

/// How many instances of a nested block the configuration may write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    /// At most one, as an object (null when absent).
    Single,
    /// Any number, as a list of objects.
    List,
}

/// A nested block of a schema.
#[derive(Debug, Clone)]
pub struct Block {
    /// Block name as written in HCL.
    pub name: String,
    /// How many may be written.
    pub nesting: Nesting,
    /// What is inside the block.
    pub schema: Schema,
}

impl Schema {
    /// A schema with the given descriptions and nothing in it yet.
    pub fn new(description: &str, markdown_description: &str) -> Self {
        Self {
            description: description.to_owned(),
            markdown_description: markdown_description.to_owned(),
            ..Self::default()
        }
    }

    /// Sets the schema version, which a resource bumps whenever the shape of its stored state
    /// changes (and then declares a state upgrader from the version before).
    pub fn with_version(mut self, version: i64) -> Self {
        self.version = version;
        self
    }

    /// Adds an attribute.
    pub fn attribute(mut self, attribute: Attribute) -> Self {
        self.attributes.push(attribute);
        self
    }

    /// Adds a nested block.
    pub fn block(mut self, name: &str, nesting: Nesting, schema: Schema) -> Self {
        self.blocks.push(Block {
            name: name.to_owned(),
            nesting,
            schema,
        });
        self
    }

    /// Declares that `attribute` cannot be set together with any of `others`; see [`Rule::Conflicts`].
    pub fn conflicts(mut self, attribute: &str, others: &[&str], advice: &str) -> Self {
        self.rules.push(Rule::Conflicts {
            attribute: attribute.to_owned(),
            others: others.iter().map(|o| (*o).to_owned()).collect(),
            advice: advice.to_owned(),
        });
        self
    }

    /// Declares that `attributes` are set all together or not at all; see [`Rule::RequiredTogether`].
    pub fn required_together(mut self, attributes: &[&str], advice: &str) -> Self {
        self.rules.push(Rule::RequiredTogether {
            attributes: attributes.iter().map(|a| (*a).to_owned()).collect(),
            advice: advice.to_owned(),
        });
        self
    }

    /// The object type of a value of this schema, as Terraform encodes it on the wire.
    pub fn value_type(&self) -> Type {
        let attrs = self
            .attributes
            .iter()
            .map(|a| (a.name.as_str(), a.ty.clone()))
            .chain(self.blocks.iter().map(|b| {
                let inner = b.schema.value_type();
                let ty = match b.nesting {
                    Nesting::Single => inner,
                    Nesting::List => Type::list(inner),
                };
                (b.name.as_str(), ty)
            }));
        Type::object(attrs)
    }

    /// Finds an attribute by name.
    pub fn find_attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }
}

impl Attribute {
    /// A new attribute of the given type; call `.required()`, `.optional()` or `.computed()` next.
    pub fn new(name: &str, ty: Type) -> Self {
        Self {
            name: name.to_owned(),
            ty,
            description: String::new(),
            markdown_description: String::new(),
            required: false,
            optional: false,
            computed: false,
            sensitive: false,
            requires_replace: false,
            default: None,
            validators: Vec::new(),
        }
    }

    /// A string attribute.
    pub fn string(name: &str) -> Self {
        Self::new(name, Type::String)
    }

    /// A bool attribute.
    pub fn bool(name: &str) -> Self {
        Self::new(name, Type::Bool)
    }

    /// A number attribute.
    pub fn number(name: &str) -> Self {
        Self::new(name, Type::Number)
    }

    /// A map-of-strings attribute.
    pub fn string_map(name: &str) -> Self {
        Self::new(name, Type::map(Type::String))
    }

    /// The configuration must set it.
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// The configuration may set it.
    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }

    /// The provider sets it (combine with `optional` for "set it or we will").
    pub fn computed(mut self) -> Self {
        self.computed = true;
        self
    }

    /// Hidden in plans and output.
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    /// Changing it replaces the resource.
    pub fn requires_replace(mut self) -> Self {
        self.requires_replace = true;
        self
    }

    /// The value planned when the configuration leaves it null; makes the attribute computed.
    pub fn default_value(mut self, value: Value) -> Self {
        self.default = Some(value);
        self.computed = true;
        self
    }

    /// Adds a typed check, such as [`validator::int64::between`].
    pub fn validate(mut self, validator: Validator) -> Self {
        self.validators.push(validator);
        self
    }

    /// Adds a check on known string values (each element's, for a collection of strings).
    pub fn validate_string(self, check: StringValidator) -> Self {
        self.validate(validator::string::from_fn(check))
    }

    /// Accepts only whole numbers from `min` to `max` (both included), once known.
    pub fn integer_between(self, min: i64, max: i64) -> Self {
        self.validate(validator::int64::between(min, max))
    }

    /// Sets both descriptions; the markdown one may use backticks and links.
    pub fn describe(mut self, plain: &str, markdown: &str) -> Self {
        self.description = plain.to_owned();
        self.markdown_description = markdown.to_owned();
        self
    }
}
