//! Where the passes of a bimodal step read `S` and write `dS`, a panel of
//! rows at a time: the stored matrices (one panel: all of them), or rows
//! computed when they are needed and gradients consumed as soon as they
//! are final (the tiled steps from features, which never hold `S`).
//!
//! The passes run the same blocks in the same order either way, so a
//! step on panels gives the bits of the step on the stored matrix.

/// A source of the rows of a `B x B` score matrix and a sink for the
/// rows of its `dS`.
pub(crate) trait Panels<T> {
    /// Rows per panel: a multiple of the schedule's block height, or at
    /// least `B` (one panel).
    fn height(&self) -> usize;

    /// `S[j][j]` of every `j` into `out`.
    fn diag(&mut self, out: &mut [T]);

    /// Rows `r0..r1` of `S`, row-major.
    fn scores(&mut self, r0: usize, r1: usize) -> &[T];

    /// Rows `r0..r1` of `S`, and where their `dS` goes.
    fn outputs(&mut self, r0: usize, r1: usize) -> (&[T], &mut [T]);

    /// Rows `r0..r1` of `dS` are final (written by [`Panels::outputs`]'s
    /// second slice).
    fn done(&mut self, r0: usize, r1: usize);
}

/// The stored matrices: `S` and `dS` (empty where no pass writes it),
/// `rows x cols` each, one panel.
pub(crate) struct Stored<'a, 'o, T> {
    pub s: &'a [T],
    pub ds: &'o mut [T],
    pub rows: usize,
    pub cols: usize,
}

impl<T: Copy> Panels<T> for Stored<'_, '_, T> {
    fn height(&self) -> usize {
        self.rows
    }

    fn diag(&mut self, out: &mut [T]) {
        for (j, d) in out.iter_mut().enumerate() {
            *d = self.s[j * self.cols + j];
        }
    }

    fn scores(&mut self, r0: usize, r1: usize) -> &[T] {
        &self.s[r0 * self.cols..r1 * self.cols]
    }

    fn outputs(&mut self, r0: usize, r1: usize) -> (&[T], &mut [T]) {
        let span = r0 * self.cols..r1 * self.cols;
        (&self.s[span.clone()], &mut self.ds[span])
    }

    fn done(&mut self, _: usize, _: usize) {}
}

/// The panels of `0..b` rows, `height` rows each: `(r0, r1)` in order.
pub(crate) fn ranges(b: usize, height: usize) -> impl Iterator<Item = (usize, usize)> {
    let h = height.max(1);
    (0..b.div_ceil(h)).map(move |k| (k * h, ((k + 1) * h).min(b)))
}
