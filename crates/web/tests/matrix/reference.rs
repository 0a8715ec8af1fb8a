//! The reference's routes: the référentiel, the commune search and its API.

use super::*;

/// The reference's routes, in the order they are called: (authentication, method, address, body,
/// expectations for admin agent editeur lecteur commune etat observateur).
pub(crate) fn routes(_w: &World) -> Vec<Route> {
    vec![
        (
            Auth::Cookie,
            "GET",
            "/referentiel".into(),
            String::new(),
            "AAAAAAAAAA",
        ),
        (
            Auth::Cookie,
            "GET",
            "/communes?q=dunk".into(),
            String::new(),
            "AAAAAAAAAA",
        ),
        (
            Auth::Token,
            "GET",
            "/api/v1/communes?q=dunk".into(),
            String::new(),
            "AAAAAAAAAA",
        ),
    ]
}
