extension GaussianMixture {
    /// Draws `count` rows from the mixture: a component k with probability `w_k`, then
    /// `x = μ_k + L_k z` with `z` standard normal (`x_i = μ_ki + √σ²_ki z_i` for diagonal types,
    /// whose factors are not made full). Deterministic for a given seed on every platform.
    /// - Returns: the samples (`count x D`) and the component each row was drawn from.
    public func sample(count: Int, seed: UInt64 = 0) -> (samples: Matrix, components: [Int]) {
        var samples = Matrix(zeros: max(0, count), featureCount)
        var labels = [Int](repeating: 0, count: max(0, count))
        samples.values.withUnsafeMutableBufferPointer { values in
            sample(count: count, seed: seed, into: values.baseAddress) { n, c in labels[n] = c }
        }
        return (samples, labels)
    }

    /// ``sample(count:seed:)`` written straight into `out` (`count x D`, row-major; nil draws
    /// the rows without keeping them), with `component(n, k)` told each row's component: the
    /// same rows, and no memory of its own beyond one row (the C API's `gm_sample` fills its
    /// caller's buffer this way; a copy of `count x D` had no memory to fail gracefully in).
    public func sample(count: Int, seed: UInt64, into out: UnsafeMutablePointer<Double>?,
                       component: (_ row: Int, _ component: Int) -> Void) {
        let k = componentCount, d = featureCount
        var generator = Xoshiro256StarStar(seed: seed)
        var cumulative = [Double](repeating: 0, count: k)
        var running = 0.0
        for c in 0..<k {
            running += weights[c]
            cumulative[c] = running
        }
        var z = [Double](repeating: 0, count: d), row = [Double](repeating: 0, count: d)
        let structure = covarianceType.structure, diagonal = structure.hasDiagonalPrecisions
        // Each component's factor once, when first drawn (one for all when they share it).
        var factors = [Matrix?](repeating: nil, count: k), roots = [[Double]?](repeating: nil, count: k)
        for n in 0..<max(0, count) {
            let u = generator.nextUniform() * running
            var c = 0
            while c < k - 1 && cumulative[c] <= u { c += 1 }
            component(n, c)
            for j in 0..<d { z[j] = generator.nextGaussian() }
            if diagonal {
                let root = roots[c] ?? structure.diagonal(fromCompact: compactCholeskyFactors.values, component: c, features: d)
                roots[c] = root
                for i in 0..<d { row[i] = means[c, i] + root[i] * z[i] }
            } else {
                let owner = structure.sharesOneCovariance ? 0 : c
                let l = factors[owner] ?? choleskyFactor(owner)
                factors[owner] = l
                for i in 0..<d {
                    var s = means[c, i]
                    for j in 0...i { s += l[i, j] * z[j] }
                    row[i] = s
                }
            }
            if let out { (out + n * d).update(from: row, count: d) }
        }
    }
}
