//! `extract`'s analysis: a container's or image's merged filesystem as of a layer (whiteouts
//! and opaque directories applied by the image module's merge), picked from a bundle
//! ([`pick`]), and its files copied out of the evidence, never through a link, into a new
//! folder or a tar stream with a manifest of what was written ([`copy`]).

pub(crate) mod copy;
pub(crate) mod pick;
