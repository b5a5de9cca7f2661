//! Where the steps write, and what they return.

/// Outputs of a one-direction step over an `R x C` score matrix.
///
/// # Example
///
/// ```
/// use dpm_core::StepOut;
/// let mut ds = [0.0_f32; 16];
/// let mut h = [0.0_f32; 4];
/// let out = StepOut { h: Some(&mut h), ..StepOut::new(&mut ds) };
/// assert!(out.weights.is_none());
/// ```
#[derive(Debug)]
pub struct StepOut<'o, T> {
    /// `dS = d loss / d S`, row-major `R x C` (overwritten).
    pub ds: &'o mut [T],
    /// The weights `w`, row-major `R x C`, 0 where a column is no negative
    /// (InfoNCE: the softmax, positive included).
    pub weights: Option<&'o mut [T]>,
    /// The zeta gradient `h` of each candidate column (length `C`; DPM
    /// only, left untouched by the other losses).
    pub h: Option<&'o mut [T]>,
}

impl<'o, T> StepOut<'o, T> {
    /// Only `dS`.
    #[must_use]
    pub fn new(ds: &'o mut [T]) -> Self {
        StepOut {
            ds,
            weights: None,
            h: None,
        }
    }
}

/// Outputs of a bimodal step over a `B x B` score matrix (image rows, text
/// columns).
///
/// # Example
///
/// ```
/// use dpm_core::BimodalOut;
/// let mut ds = [0.0_f64; 9];
/// let mut w = [0.0_f64; 9];
/// let out = BimodalOut { weights_image: Some(&mut w), ..BimodalOut::new(&mut ds) };
/// assert!(out.weights_text.is_none());
/// ```
#[derive(Debug)]
pub struct BimodalOut<'o, T> {
    /// `dS`, the sum of both directions' gradients, `B x B` (overwritten).
    pub ds: &'o mut [T],
    /// Image-to-text weights, `[i][j]` for image anchor `i`.
    pub weights_image: Option<&'o mut [T]>,
    /// Text-to-image weights, `[i][j]` for text anchor `j` (not transposed:
    /// the anchor is the column).
    pub weights_text: Option<&'o mut [T]>,
    /// Zeta gradient of each image as a candidate (text-to-image
    /// direction), length `B`; DPM only.
    pub h_image: Option<&'o mut [T]>,
    /// Zeta gradient of each text as a candidate (image-to-text
    /// direction), length `B`; DPM only.
    pub h_text: Option<&'o mut [T]>,
}

impl<'o, T> BimodalOut<'o, T> {
    /// Only `dS`.
    #[must_use]
    pub fn new(ds: &'o mut [T]) -> Self {
        BimodalOut {
            ds,
            weights_image: None,
            weights_text: None,
            h_image: None,
            h_text: None,
        }
    }
}

/// The losses of a bimodal step.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Losses<T> {
    /// What `dS` is the gradient of: the sum of the directions (DPM,
    /// SogCLR), their mean (InfoNCE / CLIP, as the reference).
    pub total: T,
    /// The image-to-text direction's share of `total`.
    pub image_to_text: T,
    /// The text-to-image direction's share of `total`.
    pub text_to_image: T,
}
