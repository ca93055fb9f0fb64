"""Below the jaxpr: XLA's HLO text read back, kernels mapped to equations, cost, memory and
residuals."""
