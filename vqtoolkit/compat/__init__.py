"""Drop-in replacements for other libraries' APIs, running on vqtoolkit's kernels.

:mod:`vqtoolkit.compat.scipy`
    ``whiten``, ``vq``, ``kmeans`` and ``kmeans2`` with the signatures, return
    values and conventions of :mod:`scipy.cluster.vq`: change the import line,
    keep the code. See ``docs/migrating_from_scipy.md``.
"""
