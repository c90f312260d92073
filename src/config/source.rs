//! placeholder: the source layer
