"""File names for fragment calculations.

QCManyBody labels a calculation with a JSON string such as ``'["hf", [1, 2], [1, 2, 3]]'`` (model
chemistry, real fragments, fragments whose basis functions are present).  On disk the same calculation
is ``hf_1-2_b1-2-3``: readable, safe in a path and a Snakemake wildcard, and decoded back exactly.
"""

from __future__ import annotations

from urllib.parse import quote, unquote

from qcmanybody.utils import delabeler, labeler

# Characters kept as they are in a model-chemistry name; all others are %-escaped.
_SAFE = "-.+_"


def encode_label(qcmb_label: str) -> str:
    """QCManyBody label -> file-name label, e.g. ``'["hf", [1, 2], [1, 2, 3]]'`` -> ``hf_1-2_b1-2-3``."""
    mc, real, basis = delabeler(qcmb_label)
    return f"{quote(mc, safe=_SAFE)}_{_join(real)}_b{_join(basis)}"


def decode_label(label: str) -> str:
    """File-name label -> QCManyBody label; the inverse of :func:`encode_label`."""
    try:
        mc, real, basis = label.rsplit("_", 2)
        if not basis.startswith("b"):
            raise ValueError
        return labeler(unquote(mc), _split(real), _split(basis[1:]))
    except ValueError:
        raise ValueError(
            f"{label!r} is not a fragment label of the form <model chemistry>_<real fragments>_b<basis fragments>, "
            "e.g. hf_1-2_b1-2-3"
        ) from None


def model_chemistry(label: str) -> str:
    """The model chemistry of a file-name label, e.g. ``hf-sto3g_1-2_b1-2-3`` -> ``hf-sto3g``."""
    return delabeler(decode_label(label))[0]


def nbody_level(qcmb_label: str) -> int:
    """The n-body level of a calculation: how many real fragments it holds."""
    return len(delabeler(qcmb_label)[1])


def _join(fragments) -> str:
    return "-".join(str(f) for f in fragments)


def _split(text: str) -> list[int]:
    return [int(f) for f in text.split("-")]
