import Foundation

/// SplitMix64 (Steele, Lea and Flood 2014): a tiny generator used to seed and to hash
/// `(seed, row)` pairs into independent streams.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// xoshiro256** (Blackman and Vigna 2018): the generator behind every random choice of a fit
/// and of ``GaussianMixture/sample(count:seed:)``. It is defined bit for bit here, so the same
/// seed gives the same numbers on every platform and for every thread count.
public struct Xoshiro256StarStar: RandomNumberGenerator, Sendable {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    /// Seeds the four words of state from SplitMix64, as the authors recommend.
    public init(seed: UInt64) {
        var mix = SplitMix64(seed: seed)
        s = (mix.next(), mix.next(), mix.next(), mix.next())
    }

    @inline(__always)
    private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    public mutating func next() -> UInt64 {
        let result = Self.rotl(s.1 &* 5, 7) &* 9
        let t = s.1 << 17
        s.2 ^= s.0
        s.3 ^= s.1
        s.1 ^= s.2
        s.0 ^= s.3
        s.2 ^= t
        s.3 = Self.rotl(s.3, 45)
        return result
    }

    /// A uniform double in [0, 1) with 53 random bits.
    public mutating func nextUniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A uniform integer in `0..<bound` (Lemire's nearly divisionless method, unbiased).
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0)
        return Int(truncatingIfNeeded: next(upperBound: UInt64(bound)))
    }

    /// A standard normal draw (Marsaglia's polar method: no trigonometry, exact rejection).
    public mutating func nextGaussian() -> Double {
        while true {
            let u = 2 * nextUniform() - 1
            let v = 2 * nextUniform() - 1
            let s = u * u + v * v
            if s > 0 && s < 1 {
                return u * (-2 * Foundation.log(s) / s).squareRoot()
            }
        }
    }
}

/// The seed of restart `index` of a fit seeded with `seed`: independent streams per restart.
func restartSeed(_ seed: UInt64, restart index: Int) -> UInt64 {
    var mix = SplitMix64(seed: seed ^ (UInt64(truncatingIfNeeded: index) &* 0xD1B5_4A32_D192_ED03))
    return mix.next()
}
