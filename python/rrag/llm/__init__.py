"""LLM layer: the chat model behind rrag's answers.

``backends.make_backend(cfg)`` returns the configured ``Backend``: llama.cpp in a worker process
(``worker.ModelWorker``, the default) or an OpenAI-compatible HTTP server. Only
``worker_main`` (run in the worker process) imports llama_cpp; nothing here loads native code
into the host.
"""
