//! Checkpoints in "flash": each population's state saved into two A/B
//! slots as the run goes, a write cut short by a power loss, a reset
//! (both states lost), and the newest complete checkpoint loaded back.
//! The run then goes on and is checked against the host's values of the
//! run that never stopped, so a wrong slot or a lost value shows up as
//! mismatches.

use crate::{check::Tally, expected};
use cortex_m_semihosting::hprintln;
use dpm_core::{Error, State, checkpoint_len};

/// Bytes of the largest checkpoint (n = 96 in f32).
const CK: usize = checkpoint_len::<f32>(96);

/// Two A/B slot pairs, one per population, erased (0xff) at first.
pub struct Flash {
    slots: [[[u8; CK]; 2]; 2],
}

impl Flash {
    pub const fn erased() -> Self {
        Flash {
            slots: [[[0xff; CK]; 2]; 2],
        }
    }

    /// Saves both states, each into its pair's next slot.
    pub fn save<const N: usize>(
        &mut self,
        image: &mut State<f32, N>,
        text: &mut State<f32, N>,
    ) -> Result<(), Error> {
        let len = checkpoint_len::<f32>(N);
        for (st, pair) in [image, text].into_iter().zip(&mut self.slots) {
            let (slot, seq) = st
                .view()
                .next_checkpoint_slot([&pair[0][..len], &pair[1][..len]]);
            st.view().save_seq(seq, &mut pair[slot][..len])?;
        }
        Ok(())
    }

    /// The power fails while the next checkpoint of both populations is
    /// written: its slot is erased, then only its first `len / 2` bytes
    /// are written (of a state that must never be loaded).
    fn cut_write<const N: usize>(&mut self) {
        let len = checkpoint_len::<f32>(N);
        let mut next = [0_u8; CK];
        let mut stray = State::<f32, N>::new(1.0);
        for pair in &mut self.slots {
            let (slot, seq) = stray
                .view()
                .next_checkpoint_slot([&pair[0][..len], &pair[1][..len]]);
            stray
                .view()
                .save_seq(seq, &mut next[..len])
                .expect("a finite state");
            pair[slot][..len].fill(0xff);
            pair[slot][..len / 2].copy_from_slice(&next[..len / 2]);
        }
    }

    /// A cut write, a reset (both states start over), and the newest
    /// complete checkpoint loaded back; `saves`: how many were saved.
    pub fn reset_and_load<const N: usize>(
        &mut self,
        name: &str,
        saves: u64,
        image: &mut State<f32, N>,
        text: &mut State<f32, N>,
        t: &mut Tally,
    ) {
        self.cut_write::<N>();
        *image = State::new(expected::ZETA_INIT);
        *text = State::new(expected::ZETA_INIT);
        let len = checkpoint_len::<f32>(N);
        for (st, pair) in [image, text].into_iter().zip(&self.slots) {
            let loaded = st.view().load_newest([&pair[0][..len], &pair[1][..len]]);
            // Saves alternate A, B, A, ...: the last one went to slot
            // (saves - 1) mod 2.
            let want = (usize::from(saves.is_multiple_of(2)), saves);
            if loaded != Ok(want) {
                hprintln!(
                    "{}: checkpoint: loaded {:?}, expected {:?}",
                    name,
                    loaded,
                    want
                );
                t.failed += 1;
            }
        }
        hprintln!(
            "{}: checkpoints of {} bytes: {} saved, the next cut at byte {}, reset, loaded save {} back",
            name,
            len,
            saves,
            len / 2,
            saves
        );
    }
}
