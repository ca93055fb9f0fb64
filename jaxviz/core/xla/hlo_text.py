"""Read HLO text (``Lowered.as_text(dialect="hlo")``, ``Compiled.as_text()``) into instructions.

XLA prints a module as computations, each a list of ``[ROOT] %name = type opcode(operands),
attributes`` lines; ``ENTRY`` marks the program's own computation, and attributes such as
``calls=``, ``body=`` or ``branch_computations=`` name the computations an instruction runs.
This module only reads the text (no jax, no XLA): ``hlo_graph`` turns it into the graph IR.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_HEADER = re.compile(r"^\s*(ENTRY\s+)?%?([\w.\-]+)\s*(\(.*\))?\s*(->.*)?\{\s*$")
_INSTRUCTION = re.compile(r"^\s*(ROOT\s+)?%?([\w.\-]+)\s*=\s*(.*)$")
_LAYOUT = re.compile(r"\{[^{}]*\}")
_COMMENT = re.compile(r"/\*.*?\*/")
_TAG = re.compile(r'jaxviz_eqn="([^"]*)"')
_OP_NAME = re.compile(r'op_name="([^"]*)"')
_TYPE = re.compile(r"^([a-z]+[0-9]*)\[([^\]]*)\]")

DTYPES = {"f16": "float16", "bf16": "bfloat16", "f32": "float32", "f64": "float64",
          "s8": "int8", "s16": "int16", "s32": "int32", "s64": "int64", "u8": "uint8",
          "u16": "uint16", "u32": "uint32", "u64": "uint64", "pred": "bool",
          "c64": "complex64", "c128": "complex128"}


@dataclass
class Instruction:
    """One line of a computation."""

    name: str
    type: str  # as printed, layouts removed: "f32[8,4]", "(f32[3], s32[])"
    opcode: str
    operands: list[str]
    attributes: dict[str, str]  # raw text of each attribute (metadata and tags kept aside)
    line: int  # 0-based line of the module text
    root: bool = False
    tag: str = ""  # our jaxviz_eqn frontend attribute: the jaxpr equation it came from
    op_name: str = ""  # JAX's metadata: name stack and primitive, e.g. "jit(f)/while/body/add"
    text: str = ""


@dataclass
class Computation:
    name: str
    entry: bool
    line: int
    instructions: list[Instruction] = field(default_factory=list)


@dataclass
class HloModule:
    name: str
    computations: dict[str, Computation]

    @property
    def entry(self) -> Computation:
        entries = [c for c in self.computations.values() if c.entry]
        return entries[0] if entries else list(self.computations.values())[-1]


def parse_module(text: str) -> HloModule:
    """Every computation of the module, in the order printed."""
    name, computations, current = "", {}, None
    for index, line in enumerate(text.splitlines()):
        if line.startswith("HloModule"):
            name = line.split()[1].rstrip(",")
        elif current is None:
            header = _HEADER.match(line)
            if header and ("=" not in line.split("{")[0] or header.group(3)):
                current = Computation(header.group(2), bool(header.group(1)), index)
        elif line.strip() == "}":
            computations[current.name] = current
            current = None
        else:
            instruction = parse_instruction(line, index)
            if instruction:
                current.instructions.append(instruction)
    return HloModule(name, computations)


def parse_instruction(line: str, index: int = 0) -> Instruction | None:
    """``ROOT %add.1 = f32[3]{0} add(%a, %b), metadata={...}`` read into its parts."""
    match = _INSTRUCTION.match(_COMMENT.sub("", line))  # tuple types carry /*index=5*/
    if not match:
        return None
    rest = match.group(3)
    type_text, rest = _take_type(rest)
    opcode, _, rest = rest.strip().partition("(")
    operand_text, rest = _take_balanced("(" + rest)
    attributes = dict(_attribute(part) for part in _split_top(rest.lstrip(", ")) if part)
    tag = _TAG.search(attributes.pop("frontend_attributes", ""))
    op_name = _OP_NAME.search(attributes.pop("metadata", ""))
    return Instruction(match.group(2), _LAYOUT.sub("", type_text), opcode.strip(),
                       _operand_names(operand_text[1:-1], opcode.strip()), attributes, index,
                       bool(match.group(1)), tag.group(1) if tag else "",
                       op_name.group(1) if op_name else "", line.strip())


def _take_type(text: str) -> tuple[str, str]:
    text = text.lstrip()
    if text.startswith("("):
        return _take_balanced(text)
    head, _, rest = text.partition(" ")
    return head, rest


def _outside(text: str):
    """(index, character, bracket depth after it) for each character outside quotes."""
    depth, quoted = 0, False
    for i, ch in enumerate(text):
        if ch == '"':
            quoted = not quoted
        elif not quoted:
            depth += (ch in "([{") - (ch in ")]}")
            yield i, ch, depth


def _take_balanced(text: str) -> tuple[str, str]:
    """The bracketed text at the start (brackets included) and what follows it."""
    for i, ch, depth in _outside(text):
        if depth == 0 and ch in ")]}":
            return text[:i + 1], text[i + 1:]
    return text, ""


def _split_top(text: str) -> list[str]:
    """Split at the commas outside brackets and quotes."""
    parts, start = [], 0
    for i, ch, depth in _outside(text):
        if ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return parts


def _attribute(part: str) -> tuple[str, str]:
    key, _, value = part.partition("=")
    return key.strip(), value.strip()


def _operand_names(text: str, opcode: str) -> list[str]:
    if opcode in ("constant", "parameter", "iota") or not text.strip():
        return []
    names = []
    for part in _split_top(text):
        word = part.split()[-1] if part.split() else ""  # older text: "f32[3] %a"
        if word.startswith("%") or re.fullmatch(r"[\w.\-]+", word):
            names.append(word.lstrip("%"))
    return names


def type_parts(type_text: str) -> tuple[list, str]:
    """Shape and dtype of an array type (``f32[8,4]`` → [8, 4], "float32"); [] and "" for a
    tuple."""
    match = _TYPE.match(type_text)
    if not match:
        return [], ""
    dims = [d for d in match.group(2).split(",") if d.strip()]
    shape = [int(d) if d.strip().lstrip("<=").isdigit() else d.strip() for d in dims]
    return shape, DTYPES.get(match.group(1), match.group(1))


def called(instruction: Instruction) -> list[tuple[str, str]]:
    """(role, computation) pairs of the computations an instruction runs as part of it:
    a fusion's body, a while's condition and body, a conditional's branches, a call. Reducers
    (``to_apply`` of reduce, sort, scatter, ...) are parameters, not parts."""
    attrs = instruction.attributes
    if instruction.opcode == "fusion" and "calls" in attrs:
        return [("fused", attrs["calls"].lstrip("%"))]
    if instruction.opcode == "while":
        return [(role, attrs[role].lstrip("%")) for role in ("condition", "body")
                if role in attrs]
    if instruction.opcode == "conditional":
        if "branch_computations" in attrs:
            names = _split_top(attrs["branch_computations"].strip("{}"))
            return [(f"branch {k}", n.lstrip("%")) for k, n in enumerate(names) if n]
        return [(role, attrs[role].lstrip("%")) for role in
                ("true_computation", "false_computation") if role in attrs]
    if instruction.opcode in ("call", "async-start") and "to_apply" in attrs:
        return [("called", attrs["to_apply"].lstrip("%"))]
    if instruction.opcode == "call" and "calls" in attrs:
        return [("called", attrs["calls"].lstrip("%"))]
    return []


def strip_tags(text: str) -> str:
    """The module text without our ``jaxviz_eqn`` attributes, line for line (line numbers
    stay those of the text the graph was read from)."""
    text = re.sub(r',\s*frontend_attributes=\{jaxviz_eqn="[^"]*"\}', "", text)
    text = re.sub(r'jaxviz_eqn="[^"]*",?\s*', "", text)
    text = re.sub(r'\s*mhlo\.frontend_attributes = \{jaxviz_eqn = "[^"]*"\},?', "", text)
    return re.sub(r'\{jaxviz_eqn = "[^"]*"\}', "{}", text)


DEBUG_SECTIONS = ("FileNames", "FunctionNames", "FileLocations", "StackFrames")


def without_debug_sections(text: str) -> str:
    """The module text without the stack-frame tables XLA prints before the computations
    (``FileNames``, ``StackFrames``, ...): they index ``stack_frame_id`` metadata, list the
    worker's own frames, and are not what a reader came for."""
    kept, skipping = [], False
    for line in text.splitlines():
        if line.strip() in DEBUG_SECTIONS:
            skipping = True
            continue
        if skipping and (not line.strip() or line[:1].isdigit()):
            continue
        skipping = False
        kept.append(line)
    return "\n".join(kept) + "\n"
