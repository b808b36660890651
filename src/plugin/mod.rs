//! (placeholder)

/// Code generated from `proto/` by the build script.
pub mod proto {
    /// Terraform's plugin protocol, version 6.
    pub mod tfplugin6 {
        tonic::include_proto!("tfplugin6");
    }
    /// go-plugin's own services: controller, stdio, broker.
    pub mod goplugin {
        tonic::include_proto!("plugin");
    }
}
