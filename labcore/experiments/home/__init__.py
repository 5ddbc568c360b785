"""The Home page (S1): the maximum-likelihood recipe turns a distribution into a loss."""

from labcore.experiments.lab import Lab

LAB = Lab(
    key="home", title="Home", icon=":material/home:",
    blurb="The maximum-likelihood recipe: every loss in the lab comes from one idea.",
    config="labcore.experiments.home.config:MLEConfig", run="labcore.experiments.home.run:run_mle",
    scene="Home page's scene (the maximum-likelihood recipe)",
    headline='f"maximum-likelihood {result.recipe.param_symbol} = {result.closed_form:.4f} '
    '(data drawn with {result.true_param:.4f})"',
)
