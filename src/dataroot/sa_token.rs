//! A Kubernetes service-account token (a JWT) read for its claims only: the payload decoded
//! from base64url JSON, the signature neither verified nor kept, the token itself never
//! stored or shown. Bound (projected) tokens name the pod and service account under
//! `kubernetes.io`; legacy secret tokens under `kubernetes.io/serviceaccount/*`.

use base64::Engine as _;
use serde::Serialize;
use serde_json::Value;

use crate::model::Timestamp;

/// Tokens are a few KiB; anything past this is not one.
pub(crate) const MAX_TOKEN_BYTES: usize = 64 << 10;

/// What a service-account token says of itself (unverified).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TokenClaims {
    /// `sub`: `system:serviceaccount:<namespace>:<name>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_account: Option<String>,
    /// The pod a bound token is bound to (`kubernetes.io.pod`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod_uid: Option<String>,
    /// The node a bound token names (`kubernetes.io.node.name`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// A legacy token's secret (`kubernetes.io/serviceaccount/secret.name`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub audiences: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<Timestamp>,
}

impl TokenClaims {
    /// The identity the token authenticates as: `sub`, else built from the legacy claims.
    pub(crate) fn identity(&self) -> Option<String> {
        self.subject.clone().or_else(|| match (&self.namespace, &self.service_account) {
            (Some(ns), Some(sa)) => Some(format!("system:serviceaccount:{ns}:{sa}")),
            _ => None,
        })
    }
}

/// The claims of a token file's bytes, or why they are not a token's.
pub(crate) fn decode(bytes: &[u8]) -> Result<TokenClaims, String> {
    if bytes.len() > MAX_TOKEN_BYTES {
        return Err(format!("over {MAX_TOKEN_BYTES} bytes: not a token"));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| "not text: not a JWT".to_string())?.trim();
    let parts: Vec<&str> = text.split('.').collect();
    let [_, payload, _] = parts.as_slice() else {
        return Err(format!("{} dot-separated parts, a JWT has 3", parts.len()));
    };
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|e| format!("payload is not base64url: {e}"))?;
    let v: Value = serde_json::from_slice(&raw).map_err(|e| format!("payload is not JSON: {e}"))?;
    if !v.is_object() {
        return Err("payload is not a JSON object".into());
    }
    let s = |p: &str| v.pointer(p).and_then(Value::as_str).map(String::from);
    let t = |k: &str| v.get(k).and_then(Value::as_i64).map(|n| Timestamp::from_unix(n, 0));
    let k8s = v.get("kubernetes.io");
    let ks = |p: &str| k8s.and_then(|o| o.pointer(p)).and_then(Value::as_str).map(String::from);
    let legacy = |k: &str| s(&format!("/kubernetes.io~1serviceaccount~1{k}"));
    let audiences = match v.get("aud") {
        Some(Value::String(a)) => vec![a.clone()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(String::from).collect(),
        _ => vec![],
    };
    let claims = TokenClaims {
        subject: s("/sub"),
        namespace: ks("/namespace").or_else(|| legacy("namespace")),
        service_account: ks("/serviceaccount/name").or_else(|| legacy("service-account.name")),
        pod_name: ks("/pod/name"),
        pod_uid: ks("/pod/uid"),
        node: ks("/node/name"),
        secret: legacy("secret.name"),
        issuer: s("/iss"),
        audiences,
        issued: t("iat"),
        expires: t("exp"),
    };
    if claims.identity().is_none() {
        return Err("the claims name no subject or service account".into());
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: &str) -> String {
        let e = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!("{}.{}.{}", e(r#"{"alg":"RS256","kid":"k1"}"#), e(payload), e("signature-bytes"))
    }

    #[test]
    fn a_bound_token_names_its_pod_and_service_account() {
        let t = jwt(
            r#"{"aud":["https://kubernetes.default.svc.cluster.local","k3s"],"exp":1796125200,"iat":1796121600,
            "iss":"https://kubernetes.default.svc.cluster.local","kubernetes.io":{"namespace":"shop",
            "node":{"name":"worker-1","uid":"n1"},"pod":{"name":"web-7d9","uid":"0a1b2c3d"},
            "serviceaccount":{"name":"web","uid":"s1"},"warnafter":1796125000},"nbf":1796121600,
            "sub":"system:serviceaccount:shop:web"}"#,
        );
        let c = decode(format!("{t}\n").as_bytes()).unwrap();
        assert_eq!(c.identity().as_deref(), Some("system:serviceaccount:shop:web"));
        assert_eq!((c.namespace.as_deref(), c.service_account.as_deref()), (Some("shop"), Some("web")));
        assert_eq!((c.pod_name.as_deref(), c.pod_uid.as_deref()), (Some("web-7d9"), Some("0a1b2c3d")));
        assert_eq!(c.node.as_deref(), Some("worker-1"));
        assert_eq!(c.audiences.len(), 2);
        assert_eq!(c.issued, Some(Timestamp::from_unix(1_796_121_600, 0)));
        assert_eq!(c.expires, Some(Timestamp::from_unix(1_796_125_200, 0)));
        // Nothing of the token itself is kept.
        let shown = serde_json::to_string(&c).unwrap();
        assert!(!shown.contains("signature") && !shown.contains(t.split('.').nth(1).unwrap()), "{shown}");
    }

    #[test]
    fn a_legacy_secret_token_and_a_string_audience() {
        let t = jwt(
            r#"{"iss":"kubernetes/serviceaccount","aud":"api","kubernetes.io/serviceaccount/namespace":"kube-system",
            "kubernetes.io/serviceaccount/secret.name":"deployer-token-x1","kubernetes.io/serviceaccount/service-account.name":"deployer"}"#,
        );
        let c = decode(t.as_bytes()).unwrap();
        assert_eq!(c.subject, None);
        assert_eq!(c.identity().as_deref(), Some("system:serviceaccount:kube-system:deployer"));
        assert_eq!(c.secret.as_deref(), Some("deployer-token-x1"));
        assert_eq!(c.audiences, ["api"]);
    }

    #[test]
    fn what_is_not_a_token_says_why() {
        assert!(decode(b"").unwrap_err().contains("1 dot-separated parts"));
        assert!(decode(b"a.b").is_err());
        assert!(decode(b"a.!!!.c").unwrap_err().contains("base64url"));
        assert!(decode(jwt("[1,2]").as_bytes()).unwrap_err().contains("not a JSON object"));
        assert!(decode(jwt("{\"iss\":\"x\"}").as_bytes()).unwrap_err().contains("no subject"));
        assert!(decode(&[0xff, b'.', b'a', b'.', b'b']).unwrap_err().contains("not text"));
        assert!(decode(&vec![b'a'; MAX_TOKEN_BYTES + 1]).unwrap_err().contains("not a token"));
        // Padded base64url is accepted.
        let t = jwt(r#"{"sub":"system:serviceaccount:a:b"}"#);
        let p: Vec<&str> = t.split('.').collect();
        assert!(decode(format!("{}.{}==.{}", p[0], p[1], p[2]).as_bytes()).is_ok());
    }
}
