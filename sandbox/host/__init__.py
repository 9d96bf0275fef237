"""A local Azure Functions host: runs `function_app.app` with the real host's trigger semantics.

Core Tools cannot be installed on these machines, so this stands in for `func start` in the sandbox
and the tests. README "Local Functions host" lists where it differs from the real host.
"""

from sandbox.host.runner import LocalHost

__all__ = ["LocalHost"]
