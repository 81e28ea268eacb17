/// Colours that stay distinct for readers with the common forms of colour-blindness: Okabe and
/// Ito's qualitative palette (2008), ordered so that the colours with the most contrast on white
/// come first and yellow, the faintest, comes late.
public enum Palette {
    /// Blue, vermillion, bluish green, reddish purple, orange, sky blue, yellow, black.
    public static let okabeIto = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]

    /// The colour of series `index`; beyond eight the colours repeat (the legend still names each series).
    public static func color(_ index: Int) -> String { okabeIto[((index % okabeIto.count) + okabeIto.count) % okabeIto.count] }

    /// Axis lines, tick labels and text.
    public static let ink = "#222222"
    /// Grid lines and histogram outlines.
    public static let faint = "#D9D9D9"
    /// Histogram bars, behind every curve.
    public static let bar = "#C8C8C8"
}
