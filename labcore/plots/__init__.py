"""Plotly figure builders: a result in, a go.Figure out. The only place that imports plotly."""
