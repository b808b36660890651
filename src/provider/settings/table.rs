//! `settings_table!`: a settings table written once, as rows, becomes the rows (for the schema,
//! the docs test and the checks) and a typed model with one field per row, read from the block
//! and the environment by `lookup.rs`. A macro, so that a setting's name is written once: it is
//! both the attribute and the field.

/// Declares a settings table: a typed model (one `Option<Sourced<_>>` field per row) and its
/// rows, in schema order. Each row gives its type (`Text`, `Flag`, `Whole`) and, in this order,
/// `env`, `sensitive`, `required`, `check`, `group`, `plain`, `markdown`.
macro_rules! settings_table {
    (
        $(#[$meta:meta])*
        $vis:vis struct $model:ident {
            $(
                $field:ident : $ty:ident {
                    env: $env:expr,
                    sensitive: $sensitive:expr,
                    required: $required:expr,
                    check: $check:expr,
                    group: $group:expr,
                    plain: $plain:literal,
                    markdown: $markdown:literal $(,)?
                }
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Default)]
        $vis struct $model {
            $(
                #[doc = $plain]
                pub(super) $field: Option<$crate::provider::settings::row::Sourced<
                    <$ty as $crate::provider::settings::row::SettingType>::Value,
                >>,
            )*
        }

        impl $model {
            /// The table: one row per setting, in schema order.
            pub(super) const ROWS: &'static [$crate::provider::settings::row::Setting] = &[
                $( settings_table!(@row $field $ty $env, $sensitive, $required, $check, $group, $plain, $markdown) ),*
            ];

            /// Reads every row at `place` (the block's value, else its variable).
            pub(super) fn read(
                lookup: &$crate::provider::settings::lookup::Lookup<'_>,
                place: &$crate::provider::settings::lookup::Place,
                diags: &mut $crate::framework::Diagnostics,
            ) -> Self {
                Self {
                    $( $field: {
                        const ROW: $crate::provider::settings::row::Setting =
                            settings_table!(@row $field $ty $env, $sensitive, $required, $check, $group, $plain, $markdown);
                        lookup.read::<$ty>(Self::ROWS, &ROW, place, diags)
                    }, )*
                }
            }

            /// Each set row and where its value came from, in table order.
            pub(super) fn set_rows(&self) -> Vec<(&'static $crate::provider::settings::row::Setting, $crate::provider::settings::row::Origin)> {
                let mut rows = Self::ROWS.iter();
                let mut set = Vec::new();
                $(
                    if let (Some(row), Some(value)) = (rows.next(), &self.$field) {
                        set.push((row, value.origin));
                    }
                )*
                set
            }

            /// Runs each row's check on its value, then the group and `required` rules;
            /// false (with errors) when something is wrong.
            pub(super) fn check(
                &self,
                place: &$crate::provider::settings::lookup::Place,
                stage: $crate::provider::settings::row::Stage,
                diags: &mut $crate::framework::Diagnostics,
            ) -> bool {
                let mut ok = true;
                let mut rows = Self::ROWS.iter();
                $(
                    if let (Some(row), Some(value)) = (rows.next(), &self.$field) {
                        ok &= row.check::<$ty>(value, place.error_at(row.name), stage, diags);
                    }
                )*
                let rules = $crate::provider::settings::lookup::check_rules(Self::ROWS, &self.set_rows(), place, stage, diags);
                ok && rules
            }
        }

        impl std::fmt::Debug for $model {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                // Only which settings are set and from where: values may be secrets.
                let mut out = f.debug_struct(stringify!($model));
                for (row, origin) in self.set_rows() {
                    out.field(row.name, &origin);
                }
                out.finish()
            }
        }
    };
    (@row $field:ident $ty:ident $env:expr, $sensitive:expr, $required:expr, $check:expr, $group:expr, $plain:literal, $markdown:literal) => {
        $crate::provider::settings::row::Setting {
            name: stringify!($field),
            ty: <$ty as $crate::provider::settings::row::SettingType>::TYPE,
            env: $env,
            sensitive: $sensitive,
            required: $required,
            check: $check,
            group: $group,
            plain: $plain,
            markdown: $markdown,
        }
    };
}

pub(super) use settings_table;
