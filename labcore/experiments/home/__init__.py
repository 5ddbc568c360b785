"""The Home page (S1): the maximum-likelihood recipe turns a distribution into a loss."""
