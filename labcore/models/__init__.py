"""Networks and their training: the batched MLP, the one training loop, the classifier trainer."""
