//! Choosing what a user names on the command line (`--container web`, `/web`, a full id, a
//! unique id prefix, `sha256:` or not) among candidates: one rule for every command.

/// The indices of the candidates `which` names: exact names or ids first (docker's leading
/// `/` and a `sha256:` prefix ignored), else those whose id starts with it. Several results
/// mean an ambiguous name; none, no such candidate. An empty id prefix names nothing.
pub(crate) fn by_name_or_id<T, N, I>(cands: &[T], which: &str, names: N, ids: I) -> Vec<usize>
where
    N: Fn(&T) -> &[String],
    I: Fn(&T) -> &[String],
{
    let want = which.trim_start_matches('/');
    let indices =
        |keep: &dyn Fn(&T) -> bool| (0..cands.len()).filter(|&i| keep(&cands[i])).collect::<Vec<_>>();
    let exact = indices(&|c| {
        names(c).iter().any(|n| n == want || n == which) || ids(c).iter().any(|i| bare(i) == bare(want))
    });
    if !exact.is_empty() || bare(want).is_empty() {
        return exact;
    }
    indices(&|c| ids(c).iter().any(|i| bare(i).starts_with(bare(want))))
}

fn bare(id: &str) -> &str {
    id.strip_prefix("sha256:").unwrap_or(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_ids_and_prefixes() {
        let c: Vec<(Vec<String>, Vec<String>)> = [("web", "abcd1234ef"), ("db", "abce5678aa")]
            .iter()
            .map(|(n, i)| (vec![n.to_string()], vec![i.to_string()]))
            .collect();
        let pick = |w: &str| by_name_or_id(&c, w, |c| &c.0, |c| &c.1);
        assert_eq!(pick("web"), [0]);
        assert_eq!(pick("/web"), [0]);
        assert_eq!(pick("sha256:abce5678aa"), [1]);
        assert_eq!(pick("abcd"), [0]);
        assert_eq!(pick("abc"), [0, 1]);
        assert!(pick("zzz").is_empty() && pick("").is_empty() && pick("sha256:").is_empty());
    }
}
