"""The Home page (S1): the maximum-likelihood recipe turns a distribution into a loss."""

from labcore.experiments.lab import Lab

LAB = Lab(
    "home", "Home", ":material/home:",
    "The maximum-likelihood recipe: every loss in the lab comes from one idea.",
    "MLEConfig", "run_mle", scene="Home page's scene (the maximum-likelihood recipe)",
    headline='f"maximum-likelihood {result.recipe.param_symbol} = {result.closed_form:.4f} '
    '(data drawn with {result.true_param:.4f})"', presets=False)

__all__ = ["LAB", "MLEConfig", "MLEResult", "run_mle"]
__getattr__ = LAB.exports(MLEResult="run")
