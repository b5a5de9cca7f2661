//! What every C step with state shares: its ids and two states
//! ([`Stateful`]), read and checked once ([`Stateful::read`]) before the
//! step's own arrays, then borrowed as views with the parameters
//! converted ([`Read::views`]); and the empty spans of a step without
//! state ([`no_state`]).

use super::ffi::{rust, state_spans, view};
use super::ptr::{Span, read, slice};
use super::types::{CParams, DpmStateOf};
use crate::{Directions, Real, StateView};

/// The ids and the two states (in `T`) of a step with state.
pub(super) struct Stateful<T> {
    pub image_ids: (*const usize, usize),
    pub text_ids: (*const usize, usize),
    pub image: *const DpmStateOf<T>,
    pub text: *const DpmStateOf<T>,
}

/// The arrays of the ids and states: none for a step without state.
pub(super) type StateSpans = [Span; 12];

/// The spans of a step without ids or state: all empty.
pub(super) fn no_state() -> Result<StateSpans, i32> {
    Ok([Span::of(core::ptr::null::<u8>(), 0, false)?; 12])
}

/// The borrowed ids, the views of both states, and the parameters of
/// both directions.
pub(super) type Views<'a, T, P> = (
    &'a [usize],
    &'a [usize],
    StateView<'a, T>,
    StateView<'a, T>,
    Directions<P>,
);

/// A step's parameter structs and state structs, copied, and the checked
/// arrays of its ids and states.
pub(super) struct Read<'s, T, C> {
    pub spans: StateSpans,
    stateful: &'s Stateful<T>,
    img: DpmStateOf<T>,
    txt: DpmStateOf<T>,
    params: [C; 2],
}

impl<T: Real> Stateful<T> {
    /// Copies `params` (the images-anchor then the texts-anchor
    /// direction's C struct) and both state structs, and checks the
    /// arrays of both states and of the ids ([`Span::of`]): each pointer
    /// NULL or misaligned is `DPM_ERR_BAD_POINTER`.
    ///
    /// # Safety
    ///
    /// `params` and the state pointers are NULL or point to initialised
    /// structs.
    pub(super) unsafe fn read<C: CParams>(
        &self,
        params: [*const C; 2],
    ) -> Result<Read<'_, T, C>, i32> {
        // SAFETY: each is NULL (refused) or readable (the caller); copied
        // before any array is borrowed.
        let (p0, p1, img, txt) = unsafe {
            (
                read(params[0])?,
                read(params[1])?,
                read(self.image)?,
                read(self.text)?,
            )
        };
        let mut spans = no_state()?;
        spans[..5].copy_from_slice(&state_spans(&img)?);
        spans[5..10].copy_from_slice(&state_spans(&txt)?);
        spans[10] = Span::of(self.image_ids.0, self.image_ids.1, false)?;
        spans[11] = Span::of(self.text_ids.0, self.text_ids.1, false)?;
        Ok(Read {
            spans,
            stateful: self,
            img,
            txt,
            params: [p0, p1],
        })
    }
}

impl<T: Real, C: CParams> Read<'_, T, C> {
    /// The ids, the views of both states (their errors first), then the
    /// parameters converted (theirs next: after every pointer check, as
    /// the Rust step would see them).
    ///
    /// # Safety
    ///
    /// Every array of [`Read::spans`] passed `disjoint` with the call's
    /// other arrays, and is valid for its length (the caller).
    pub(super) unsafe fn views<'a>(&self) -> Result<Views<'a, T, C::Rust>, i32> {
        let s = self.stateful;
        // SAFETY: the contract above.
        let (ii, ti, iv, tv) = unsafe {
            (
                slice(s.image_ids.0, s.image_ids.1),
                slice(s.text_ids.0, s.text_ids.1),
                view(&self.img)?,
                view(&self.txt)?,
            )
        };
        let [p0, p1] = self.params;
        let params = Directions {
            image: p0.to_rust().map_err(rust)?,
            text: p1.to_rust().map_err(rust)?,
        };
        Ok((ii, ti, iv, tv, params))
    }
}
