//! A read-only MIB view: sorted `OID → value` rows, and the Get/GetNext/GetBulk rules of
//! RFC 2741 §7.2.3 applied to them.

use super::pdu::{Oid, SearchRange, Value, VarBind};
use std::collections::BTreeMap;
use std::ops::Bound;

/// The values served, and the object types (scalars and table columns) that exist even
/// where no instance does (so a Get can tell noSuchInstance from noSuchObject).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct MibView {
    values: BTreeMap<Oid, Value>,
    objects: Vec<Oid>,
}

impl MibView {
    /// Declares an object type (a scalar or a table column), without its instances.
    pub fn object(&mut self, oid: Oid) {
        self.objects.push(oid);
    }

    /// Sets one instance's value (the first one set for an OID wins, as keepalived
    /// answers with the first instance matching an index).
    pub fn set(&mut self, oid: Oid, value: Value) {
        self.values.entry(oid).or_insert(value);
    }

    /// A Get: the exact instance, else noSuchInstance under a known object type, else
    /// noSuchObject.
    pub fn get(&self, range: &SearchRange) -> VarBind {
        let value = match self.values.get(&range.start) {
            Some(v) => v.clone(),
            None if self.objects.iter().any(|o| range.start.starts_with(o)) => {
                Value::NoSuchInstance
            }
            None => Value::NoSuchObject,
        };
        VarBind {
            name: range.start.clone(),
            value,
        }
    }

    /// A GetNext: the first instance after `start` (or at it, when `include`) and before
    /// `end`; else endOfMibView named by `start`.
    pub fn get_next(&self, range: &SearchRange) -> VarBind {
        let from = if range.include {
            Bound::Included(&range.start)
        } else {
            Bound::Excluded(&range.start)
        };
        let found = self
            .values
            .range::<Oid, _>((from, Bound::Unbounded))
            .next()
            .filter(|(oid, _)| range.end.is_empty() || *oid < &range.end);
        match found {
            Some((oid, v)) => VarBind {
                name: oid.clone(),
                value: v.clone(),
            },
            None => VarBind {
                name: range.start.clone(),
                value: Value::EndOfMibView,
            },
        }
    }

    /// A GetBulk: one GetNext for each of the first `non_repeaters` ranges, then up to
    /// `max_repetitions` rounds over the others, each continuing from its last answer;
    /// it stops early once every repeater reached endOfMibView.
    pub fn get_bulk(
        &self,
        non_repeaters: usize,
        max_repetitions: usize,
        ranges: &[SearchRange],
    ) -> Vec<VarBind> {
        let split = non_repeaters.min(ranges.len());
        let mut out: Vec<VarBind> = ranges[..split].iter().map(|r| self.get_next(r)).collect();
        let mut cursors: Vec<SearchRange> = ranges[split..].to_vec();
        for _ in 0..max_repetitions {
            if cursors.is_empty() {
                break;
            }
            let mut all_ended = true;
            for cursor in &mut cursors {
                let vb = self.get_next(cursor);
                if vb.value != Value::EndOfMibView {
                    all_ended = false;
                    cursor.start = vb.name.clone();
                    cursor.include = false;
                }
                out.push(vb);
            }
            if all_ended {
                break;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(start: &[u32], include: bool, end: &[u32]) -> SearchRange {
        SearchRange {
            start: start.to_vec(),
            include,
            end: end.to_vec(),
        }
    }

    fn view() -> MibView {
        let mut v = MibView::default();
        v.object(vec![1, 1]);
        v.object(vec![1, 3, 1, 2]);
        v.set(vec![1, 1, 0], Value::Integer(2));
        v.set(vec![1, 3, 1, 2, 3, 51], Value::Integer(3));
        v.set(vec![1, 3, 1, 2, 3, 52], Value::Integer(4));
        v
    }

    #[test]
    fn get_tells_missing_instances_from_missing_objects() {
        let v = view();
        assert_eq!(
            v.get(&range(&[1, 1, 0], false, &[])).value,
            Value::Integer(2)
        );
        assert_eq!(
            v.get(&range(&[1, 3, 1, 2, 9, 9], false, &[])).value,
            Value::NoSuchInstance
        );
        assert_eq!(
            v.get(&range(&[1, 9], false, &[])).value,
            Value::NoSuchObject
        );
    }

    #[test]
    fn get_next_honours_include_and_the_end_bound() {
        let v = view();
        assert_eq!(
            v.get_next(&range(&[1, 1, 0], true, &[])).name,
            vec![1, 1, 0]
        );
        assert_eq!(
            v.get_next(&range(&[1, 1, 0], false, &[])).name,
            vec![1, 3, 1, 2, 3, 51]
        );
        let ended = v.get_next(&range(&[1, 1, 0], false, &[1, 3, 1, 2, 3, 51]));
        assert_eq!(ended.value, Value::EndOfMibView);
        assert_eq!(ended.name, vec![1, 1, 0]);
        assert_eq!(
            v.get_next(&range(&[2], false, &[])).value,
            Value::EndOfMibView
        );
    }

    #[test]
    fn get_bulk_repeats_after_the_non_repeaters_and_stops_at_the_end() {
        let v = view();
        let got = v.get_bulk(
            1,
            10,
            &[range(&[0], false, &[]), range(&[1, 1, 0], false, &[])],
        );
        let names: Vec<Oid> = got.iter().map(|vb| vb.name.clone()).collect();
        assert_eq!(
            names,
            vec![
                vec![1, 1, 0],
                vec![1, 3, 1, 2, 3, 51],
                vec![1, 3, 1, 2, 3, 52],
                vec![1, 3, 1, 2, 3, 52],
            ]
        );
        assert_eq!(got[3].value, Value::EndOfMibView);
    }
}
