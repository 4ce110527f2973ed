"""Embed layer: text -> vectors. ``load_embedder(EmbedConfig)`` returns an ``Embedder`` (see
``rrag.embed.model``); ``rrag.embed.tokens.windows`` cuts long texts to the model's window."""
