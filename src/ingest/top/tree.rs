//! Rebuilding the process tree of one capture: by PPID, else by forest art, else flat.
//! Duplicate PIDs and PPID cycles are tolerated and never loop.

use std::collections::HashMap;

use serde::Serialize;

use crate::ingest::top::{Process, ProcessCapture};

/// Where the parent links came from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Parentage {
    /// No parent information (e.g. `ps aux`): every process is a root.
    #[default]
    None,
    /// The PPID column.
    Ppid,
    /// Forest art in the command column (`ps auxf`, `ps -ejH`).
    Forest,
    /// A sensor's exec ids (each process names its parent's exec), the PPID where a
    /// process has none.
    ExecId,
}

/// One process in the tree.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TreeNode {
    /// Index of the process in the capture's `processes`.
    pub index: usize,
    pub pid: u32,
    /// PID of the parent when the parent is in the capture.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<u32>,
    pub depth: u32,
    /// PIDs of the children, ascending.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<u32>,
    /// Rules that flagged this process (it is the subject of those findings).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
}

/// A process tree rebuilt from one capture. `nodes` are in display order: each root (by
/// PID), then its descendants depth-first, children by PID.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ProcessTree {
    pub parentage: Parentage,
    /// PIDs of processes whose parent is not in the capture (the container's init: its
    /// parent is the shim on the host).
    pub roots: Vec<u32>,
    pub nodes: Vec<TreeNode>,
    /// PIDs seen on more than one row (parent links use the first).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub duplicate_pids: Vec<u32>,
}

/// Parent links by process index.
pub(crate) struct Links {
    pub parent: Vec<Option<usize>>,
}

impl Links {
    /// Ancestors of `i`, nearest first, at most `max` of them (cycles cannot loop).
    pub(crate) fn ancestors(&self, i: usize, max: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let mut cur = i;
        while let Some(p) = self.parent.get(cur).copied().flatten() {
            if p == i || out.contains(&p) || out.len() >= max {
                break;
            }
            out.push(p);
            cur = p;
        }
        out
    }
}

/// Build the tree of `capture`.
pub(crate) fn build(capture: &ProcessCapture) -> (ProcessTree, Links) {
    let procs = &capture.processes;
    let n = procs.len();
    let mut by_pid: HashMap<u32, usize> = HashMap::with_capacity(n);
    let mut duplicate_pids = Vec::new();
    for (i, p) in procs.iter().enumerate() {
        if by_pid.insert(p.pid, i).is_some() {
            duplicate_pids.push(p.pid);
        }
    }
    // The first row of a PID wins.
    for (i, p) in procs.iter().enumerate().rev() {
        by_pid.insert(p.pid, i);
    }
    duplicate_pids.sort_unstable();
    duplicate_pids.dedup();

    let mut parent: Vec<Option<usize>> = vec![None; n];
    let parentage = if capture.has_ppid() {
        // A sensor's exec ids name the parent where PIDs repeat (an exec keeps its PID).
        let mut by_exec: HashMap<&str, usize> = HashMap::new();
        for (i, p) in procs.iter().enumerate().rev() {
            if let Some(id) = p.exec_id.as_deref() {
                by_exec.insert(id, i);
            }
        }
        for (i, p) in procs.iter().enumerate() {
            parent[i] = match p.parent_exec_id.as_deref() {
                Some(id) => by_exec.get(id).copied(),
                None => p.ppid.filter(|&pp| pp != p.pid).and_then(|pp| by_pid.get(&pp).copied()),
            }
            .filter(|&j| j != i);
        }
        if by_exec.is_empty() {
            Parentage::Ppid
        } else {
            Parentage::ExecId
        }
    } else if capture.forest {
        // The nearest row above with a smaller depth is the parent.
        let mut stack: Vec<(u32, usize)> = Vec::new();
        for (i, p) in procs.iter().enumerate() {
            let d = p.forest_depth.unwrap_or(0);
            while stack.last().is_some_and(|&(sd, _)| sd >= d) {
                stack.pop();
            }
            parent[i] = stack.last().map(|&(_, j)| j);
            stack.push((d, i));
        }
        Parentage::Forest
    } else {
        Parentage::None
    };

    let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, p) in parent.iter().enumerate() {
        if let Some(j) = p {
            children[*j].push(i);
        }
    }
    let key = |i: &usize| (procs[*i].pid, *i);
    for c in &mut children {
        c.sort_by_key(key);
    }
    let mut order: Vec<usize> = (0..n).filter(|&i| parent[i].is_none()).collect();
    order.sort_by_key(key);
    let roots: Vec<u32> = order.iter().map(|&i| procs[i].pid).collect();

    let mut w =
        Walk { procs, children: &children, parent, seen: vec![false; n], nodes: Vec::with_capacity(n) };
    for &r in &order {
        w.visit(r);
    }
    // Rows in PPID cycles (and rows hanging below one) are reachable from no root: break
    // each cycle at its lowest PID. One walk up per row, so this stays linear.
    let mut walk = vec![usize::MAX; n];
    let mut cycle_roots = Vec::new();
    for s in 0..n {
        let mut path = Vec::new();
        let mut cur = s;
        while !w.seen[cur] && walk[cur] == usize::MAX {
            walk[cur] = s;
            path.push(cur);
            match w.parent[cur] {
                Some(p) => cur = p,
                None => break,
            }
        }
        // Stopped on a row of this very walk (not at a root): the path from it is a cycle.
        if !w.seen[cur] && walk[cur] == s && w.parent[cur].is_some() {
            let at = path.iter().position(|&x| x == cur).unwrap_or(0);
            if let Some(&r) = path[at..].iter().min_by_key(|i| key(i)) {
                cycle_roots.push(r);
            }
        }
    }
    cycle_roots.sort_by_key(key);
    let mut rest: Vec<usize> = (0..n).collect();
    rest.sort_by_key(key);
    let mut extra_roots = Vec::new();
    for i in cycle_roots.into_iter().chain(rest) {
        if !w.seen[i] {
            extra_roots.push(procs[i].pid);
            w.visit(i);
        }
    }
    let mut roots = roots;
    roots.extend(extra_roots);
    (ProcessTree { parentage, roots, nodes: w.nodes, duplicate_pids }, Links { parent: w.parent })
}

/// Depth-first walk state: nodes come out in display order.
struct Walk<'a> {
    procs: &'a [Process],
    children: &'a [Vec<usize>],
    parent: Vec<Option<usize>>,
    seen: Vec<bool>,
    nodes: Vec<TreeNode>,
}

impl Walk<'_> {
    /// Emit `start` as a root and everything below it not yet seen.
    fn visit(&mut self, start: usize) {
        let mut stack = vec![(start, 0u32)];
        while let Some((i, depth)) = stack.pop() {
            if self.seen[i] {
                continue;
            }
            self.seen[i] = true;
            if depth == 0 {
                // A cycle member picked as a root loses its (cyclic) parent link.
                self.parent[i] = None;
            }
            self.nodes.push(TreeNode {
                index: i,
                pid: self.procs[i].pid,
                parent: self.parent[i].map(|j| self.procs[j].pid),
                depth,
                children: self.children[i]
                    .iter()
                    .filter(|&&c| self.parent[c] == Some(i))
                    .map(|&c| self.procs[c].pid)
                    .collect(),
                flags: Vec::new(),
            });
            for &c in self.children[i].iter().rev() {
                stack.push((c, depth + 1));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn capture(rows: &[(u32, Option<u32>)], ppid_column: bool) -> ProcessCapture {
        let titles: &[&str] = if ppid_column { &["PID", "PPID", "CMD"] } else { &["PID", "CMD"] };
        let titles: Vec<String> = titles.iter().map(|t| t.to_string()).collect();
        ProcessCapture {
            columns: super::super::columns::from_titles(&titles),
            processes: rows.iter().map(|&(pid, ppid)| Process { pid, ppid, ..Default::default() }).collect(),
            ..Default::default()
        }
    }

    fn shape(t: &ProcessTree) -> Vec<(u32, Option<u32>, u32)> {
        t.nodes.iter().map(|n| (n.pid, n.parent, n.depth)).collect()
    }

    #[test]
    fn ppid_tree_with_outside_parent_children_sorted() {
        let c = capture(
            &[(84010, Some(4000)), (84300, Some(84010)), (84281, Some(84010)), (84290, Some(84281))],
            true,
        );
        let (t, _) = build(&c);
        assert_eq!(t.parentage, Parentage::Ppid);
        assert_eq!(t.roots, [84010]);
        assert_eq!(
            shape(&t),
            [(84010, None, 0), (84281, Some(84010), 1), (84290, Some(84281), 2), (84300, Some(84010), 1)]
        );
        assert_eq!(t.nodes[0].children, [84281, 84300]);
    }

    #[test]
    fn exec_ids_link_where_pids_repeat() {
        // sh (pid 7) execs nc (still pid 7); a child of the nc exec and one of sh's; a
        // process whose parent's exec is not in the capture is a root, whatever its PPID.
        let mut c = capture(&[(7, Some(1)), (7, Some(1)), (8, Some(7)), (9, Some(7)), (10, Some(7))], true);
        let ids =
            [("sh", None), ("nc", Some("sh")), ("a", Some("nc")), ("b", Some("sh")), ("c", Some("gone"))];
        for (p, (id, parent)) in c.processes.iter_mut().zip(ids) {
            p.exec_id = Some(id.into());
            p.parent_exec_id = parent.map(String::from);
        }
        let (_, links) = build(&c);
        assert_eq!(links.parent, [None, Some(0), Some(1), Some(0), None]);
    }

    #[test]
    fn cycles_self_parents_and_duplicates_terminate() {
        let c = capture(&[(10, Some(11)), (11, Some(10)), (5, Some(5)), (7, Some(5)), (7, Some(10))], true);
        let (t, links) = build(&c);
        assert_eq!(t.nodes.len(), 5);
        assert_eq!(t.duplicate_pids, [7]);
        assert_eq!(t.roots, [5, 10]);
        assert_eq!(links.ancestors(1, 100), [0]);
        assert!(links.ancestors(0, 100).is_empty());
        let ten = t.nodes.iter().find(|n| n.pid == 10).unwrap();
        let eleven = t.nodes.iter().find(|n| n.pid == 11).unwrap();
        assert_eq!((ten.parent, ten.depth, &ten.children[..]), (None, 0, &[7, 11][..]));
        assert_eq!((eleven.parent, eleven.depth, eleven.children.len()), (Some(10), 1, 0));
    }

    #[test]
    fn forest_and_flat() {
        let mut c = capture(&[(1, None), (7, None), (90, None), (30, None)], false);
        c.forest = true;
        for (p, d) in c.processes.iter_mut().zip([0, 1, 2, 1]) {
            p.forest_depth = Some(d);
        }
        let (t, _) = build(&c);
        assert_eq!(t.parentage, Parentage::Forest);
        assert_eq!(shape(&t), [(1, None, 0), (7, Some(1), 1), (90, Some(7), 2), (30, Some(1), 1)]);
        c.forest = false;
        let (t, _) = build(&c);
        assert_eq!(t.parentage, Parentage::None);
        assert_eq!(t.roots, [1, 7, 30, 90]);
    }
}
