extension GaussianMixture {
    /// Draws `count` rows from the mixture: a component k with probability `w_k`, then
    /// `x = μ_k + L_k z` with `z` standard normal (`x_i = μ_ki + √σ²_ki z_i` for diagonal types,
    /// whose factors are not made full). Deterministic for a given seed on every platform.
    /// - Returns: the samples (`count x D`) and the component each row was drawn from.
    public func sample(count: Int, seed: UInt64 = 0) -> (samples: Matrix, components: [Int]) {
        let k = componentCount, d = featureCount
        var generator = Xoshiro256StarStar(seed: seed)
        var cumulative = [Double](repeating: 0, count: k)
        var running = 0.0
        for c in 0..<k {
            running += weights[c]
            cumulative[c] = running
        }
        var samples = Matrix(zeros: max(0, count), d)
        var labels = [Int](repeating: 0, count: max(0, count))
        var z = [Double](repeating: 0, count: d)
        let structure = covarianceType.structure, diagonal = structure.hasDiagonalPrecisions
        // Each component's factor once, when first drawn (one for all when they share it).
        var factors = [Matrix?](repeating: nil, count: k), roots = [[Double]?](repeating: nil, count: k)
        for n in 0..<max(0, count) {
            let u = generator.nextUniform() * running
            var c = 0
            while c < k - 1 && cumulative[c] <= u { c += 1 }
            labels[n] = c
            for j in 0..<d { z[j] = generator.nextGaussian() }
            if diagonal {
                let root = roots[c] ?? structure.diagonal(fromCompact: compactCholeskyFactors.values, component: c, features: d)
                roots[c] = root
                for i in 0..<d { samples[n, i] = means[c, i] + root[i] * z[i] }
                continue
            }
            let owner = structure.sharesOneCovariance ? 0 : c
            let l = factors[owner] ?? choleskyFactor(owner)
            factors[owner] = l
            for i in 0..<d {
                var s = means[c, i]
                for j in 0...i { s += l[i, j] * z[j] }
                samples[n, i] = s
            }
        }
        return (samples, labels)
    }
}
