//! The accounts' routes: the account page, tokens, the administration of users and
//! organisations, `/api/v1/moi` and the API's document; then bad input.

use super::*;

/// The accounts's routes, in the order they are called: (authentication, method, address, body,
/// expectations for admin agent editeur lecteur commune etat observateur).
pub(crate) fn routes(_w: &World) -> Vec<Route> {
    vec![
        (
            Auth::Cookie,
            "GET",
            "/compte".into(),
            String::new(),
            "AAAAAAAAAA",
        ),
        (
            Auth::Cookie,
            "GET",
            "/admin/utilisateurs".into(),
            String::new(),
            "AFFFFFFFFF",
        ),
        (
            Auth::Cookie,
            "POST",
            "/admin/utilisateurs".into(),
            "identifiant=nouveau&role=observateur".into(),
            "AFFFFFFFFF",
        ),
        (
            Auth::Cookie,
            "POST",
            "/admin/organisations".into(),
            "nom=CCAS+test&type_organisation=ccas".into(),
            "AFFFFFFFFF",
        ),
        // Invitations to log in through the OpenID provider: the administrator.
        (
            Auth::Cookie,
            "POST",
            "/admin/invitations".into(),
            "email=invitee%40vilogia.test&role=bailleur_lecteur&organisation=Vilogia".into(),
            "AFFFFFFFFF",
        ),
        (
            Auth::Cookie,
            "POST",
            "/admin/invitations".into(),
            "email=pas-une-adresse&role=bailleur_lecteur&organisation=Vilogia".into(),
            "RFFFFFFFFF",
        ),
        (
            Auth::Cookie,
            "POST",
            "/admin/utilisateurs/1/reinitialiser".into(),
            String::new(),
            "AFFFFFFFFF",
        ),
        (
            Auth::Cookie,
            "POST",
            "/compte/jetons".into(),
            "nom=second".into(),
            "AAAAAAAAAA",
        ),
        (
            Auth::CookieWithoutCsrf,
            "POST",
            "/compte/jetons".into(),
            "nom=sans-csrf".into(),
            "FFFFFFFFFF",
        ),
        (
            Auth::CookieWithoutCsrf,
            "POST",
            "/admin/utilisateurs".into(),
            "identifiant=pirate&role=admin_epci".into(),
            "FFFFFFFFFF",
        ),
        (
            Auth::Token,
            "GET",
            "/api/v1/moi".into(),
            String::new(),
            "AAAAAAAAAA",
        ),
        (
            Auth::Token,
            "GET",
            "/api/openapi.json".into(),
            String::new(),
            "AAAAAAAAAA",
        ),
    ]
}

/// Bad input on the administration pages: a French error, nothing written.
pub(crate) async fn checks(w: &World) {
    let admin = w.users.iter().find(|u| u.login == "admin").unwrap();
    let (status, body) = call(
        w,
        admin,
        Auth::Cookie,
        "POST",
        "/admin/utilisateurs",
        "identifiant=%C3%A9t%C3%A9&role=observateur",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("identifiant invalide"), "{body}");
    let (_, list) = call(w, admin, Auth::Cookie, "GET", "/admin/utilisateurs", "").await;
    assert!(!list.contains("<td>été</td>"));
}
