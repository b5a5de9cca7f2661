//! Per-id flag bytes: the explicit "visited" mark, and a transient mark
//! used to find repeated ids without scratch memory.

use crate::Error;

/// The id has a value (log-mass or z): it is not "never visited".
pub(crate) const SEEN: u8 = 1;
/// Set only while a call checks a batch's ids for repeats; cleared before
/// the call returns, so no caller ever observes it.
pub(crate) const MARK: u8 = 2;

/// Checks that every id is below `flags.len()` and that none repeats, in
/// O(len) time and no scratch: each id is marked in `flags` as it is seen
/// and every mark is cleared again before returning, on success and on
/// error alike, so `flags` ends bit-identical.
pub(crate) fn check_ids(what: &'static str, ids: &[usize], flags: &mut [u8]) -> Result<(), Error> {
    let n = flags.len();
    let mut result = Ok(());
    let mut marked = 0;
    for &id in ids {
        if id >= n {
            result = Err(Error::IdOutOfRange { what, id, len: n });
            break;
        }
        if flags[id] & MARK != 0 {
            result = Err(Error::DuplicateId { what, id });
            break;
        }
        flags[id] |= MARK;
        marked += 1;
    }
    for &id in &ids[..marked] {
        flags[id] &= !MARK;
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_are_cleared_on_every_path() {
        let mut flags = [0, SEEN, 0, SEEN, 0];
        let before = flags;
        assert!(check_ids("ids", &[4, 1, 0], &mut flags).is_ok());
        assert_eq!(flags, before);
        assert_eq!(
            check_ids("ids", &[4, 1, 4, 0], &mut flags),
            Err(Error::DuplicateId { what: "ids", id: 4 })
        );
        assert_eq!(flags, before);
        assert_eq!(
            check_ids("ids", &[3, 5], &mut flags),
            Err(Error::IdOutOfRange {
                what: "ids",
                id: 5,
                len: 5
            })
        );
        assert_eq!(flags, before);
    }
}
