//! Schemas: the attributes and blocks a provider, resource or data source declares.
//!
//! A schema is built once with small builders and then drives everything the framework does for
//! its owner: the value type used to decode Terraform's messages, validation of known values,
//! defaults and replacement in plans, and the documentation Terraform shows in editors.

use crate::tfvalue::{Type, Value};

/// Checks one known string value; `Err` carries the sentence shown to the user.
pub type StringValidator = fn(&str) -> Result<(), String>;

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
    /// Checks run on a known string value at validate time.
    pub string_validators: Vec<StringValidator>,
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
            string_validators: Vec::new(),
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

    /// Adds a check on known string values.
    pub fn validate_string(mut self, validator: StringValidator) -> Self {
        self.string_validators.push(validator);
        self
    }

    /// Sets both descriptions; the markdown one may use backticks and links.
    pub fn describe(mut self, plain: &str, markdown: &str) -> Self {
        self.description = plain.to_owned();
        self.markdown_description = markdown.to_owned();
        self
    }
}
