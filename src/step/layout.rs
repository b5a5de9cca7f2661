//! Which column is each row's positive and which columns are left out
//! (SPEC section 3b).

use crate::Error;

/// The structure of an `R x C` score matrix: one positive column per row,
/// and columns excluded from a row's negatives.
///
/// The negatives of row `r` are the columns that are neither its positive
/// nor excluded; their count `m_r` replaces `B - 1` of SPEC section 2.
///
/// # Example
///
/// ```
/// use dpm_core::Layout;
/// // Two augmented views of B = 3 samples: rows and columns are
/// // [v1(0), v1(1), v1(2), v2(0), v2(1), v2(2)].
/// let l = Layout::TwoView;
/// assert_eq!(l.positive(1, 6), 4);
/// assert!(!l.is_negative(1, 1, 6)); // itself: excluded
/// assert!(!l.is_negative(1, 4, 6)); // its other view: the positive
/// assert_eq!(l.negatives(1, 6), 4); // m = 2B - 2
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout<'a> {
    /// Square, `pos[r] = r`, nothing excluded: one direction of the bimodal
    /// case (`m = B - 1`).
    Diagonal,
    /// `2B x 2B`, rows and columns both `[view 1 of B samples, view 2 of
    /// the same B]`: `pos[r] = (r + B) mod 2B`, excluded `{r}`,
    /// `m = 2B - 2` (SimCLR-style).
    TwoView,
    /// Rows `start..start + R` of a [`Layout::Diagonal`] `C x C` matrix:
    /// `pos[r] = start + r`, nothing excluded, `m = C - 1`. One rank's
    /// block of anchor rows in a step sharded across machines
    /// ([`crate::shard`]).
    Rows {
        /// The first row's index in the whole matrix.
        start: usize,
    },
    /// Any `R x C`: `pos[r]` for each row, and a row-major `R x C` mask,
    /// `true` where a column is excluded from the row. The positive must
    /// not be excluded and each row needs a negative.
    Custom {
        /// Positive column of each row (length `R`).
        pos: &'a [usize],
        /// Exclusion mask (length `R * C`).
        excluded: &'a [bool],
    },
}

impl Layout<'_> {
    /// The positive column of row `r` in a matrix with `cols` columns.
    ///
    /// Only meaningful for a layout that fits the matrix (the steps
    /// check). Any arguments give an answer without overflow: a row
    /// outside a [`Layout::Custom`]'s `pos` has the positive `usize::MAX`,
    /// and [`Layout::TwoView`] takes `r` modulo `cols` (`0` when
    /// `cols = 0`).
    #[inline]
    #[must_use]
    pub fn positive(&self, r: usize, cols: usize) -> usize {
        match *self {
            Layout::Diagonal => r,
            Layout::TwoView => {
                // (r + cols / 2) mod cols, without forming the sum.
                let r = r.checked_rem(cols).unwrap_or(0);
                let rest = cols - cols / 2;
                if r < rest { r + cols / 2 } else { r - rest }
            }
            Layout::Rows { start } => start.saturating_add(r),
            Layout::Custom { pos, .. } => pos.get(r).copied().unwrap_or(usize::MAX),
        }
    }

    /// Whether column `c` is a negative of row `r`.
    ///
    /// Any arguments give an answer without overflow; a cell outside a
    /// [`Layout::Custom`]'s mask is excluded, so it is no negative.
    #[inline]
    #[must_use]
    pub fn is_negative(&self, r: usize, c: usize, cols: usize) -> bool {
        if c == self.positive(r, cols) {
            return false;
        }
        match *self {
            Layout::Diagonal | Layout::Rows { .. } => true,
            Layout::TwoView => c != r,
            Layout::Custom { excluded, .. } => {
                let cell = r.checked_mul(cols).and_then(|k| k.checked_add(c));
                let excluded = cell.and_then(|k| excluded.get(k)).copied();
                c < cols && !excluded.unwrap_or(true)
            }
        }
    }

    /// `m_r`: the number of negatives of row `r`.
    ///
    /// For [`Layout::Custom`], counted over the row's cells in the mask
    /// (a row outside it has none), so the time is proportional to the
    /// mask, never to a `cols` the mask does not hold.
    #[must_use]
    pub fn negatives(&self, r: usize, cols: usize) -> usize {
        match *self {
            Layout::Diagonal | Layout::Rows { .. } => cols.saturating_sub(1),
            Layout::TwoView => cols.saturating_sub(2),
            Layout::Custom { excluded, .. } => {
                let start = r.checked_mul(cols);
                let span = start.and_then(|a| Some(a..a.checked_add(cols)?));
                let Some(row) = span.and_then(|s| excluded.get(s)) else {
                    return 0;
                };
                let p = self.positive(r, cols);
                row.iter()
                    .enumerate()
                    .filter(|&(c, &x)| !x && c != p)
                    .count()
            }
        }
    }

    /// Checks that the layout fits an `rows x cols` matrix and that every
    /// row has an admissible positive and at least one negative.
    pub(crate) fn check(&self, rows: usize, cols: usize) -> Result<(), Error> {
        match *self {
            Layout::Diagonal => {
                if rows != cols {
                    return Err(Error::LengthMismatch {
                        what: "cols",
                        expected: rows,
                        found: cols,
                    });
                }
            }
            Layout::Rows { start } => {
                // Every row's positive is a column: start + rows <= cols.
                if start.checked_add(rows).is_none_or(|end| end > cols) {
                    return Err(Error::InvalidLayout {
                        row: cols.saturating_sub(start),
                    });
                }
            }
            Layout::TwoView => {
                if rows != cols || !rows.is_multiple_of(2) || rows < 4 {
                    return Err(Error::InvalidLayout { row: 0 });
                }
            }
            Layout::Custom { pos, excluded } => {
                if pos.len() != rows {
                    return Err(Error::LengthMismatch {
                        what: "pos",
                        expected: rows,
                        found: pos.len(),
                    });
                }
                let cells = rows.saturating_mul(cols);
                if excluded.len() != cells {
                    return Err(Error::LengthMismatch {
                        what: "excluded",
                        expected: cells,
                        found: excluded.len(),
                    });
                }
                for (row, &p) in pos.iter().enumerate() {
                    if p >= cols || excluded[row * cols + p] || self.negatives(row, cols) == 0 {
                        return Err(Error::InvalidLayout { row });
                    }
                }
            }
        }
        Ok(())
    }
}
