import GaussianMixturesCLI

GMM.main()
