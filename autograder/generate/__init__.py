"""Everything the kit generates from its sources, never edited by hand.

One module per kind of generated file:

* `stubs`: the student versions ``assignments/NAME.py`` of ``solutions/NAME.py``
  (each ``### BEGIN SOLUTION`` … ``### END SOLUTION`` region becomes
  ``raise NotImplementedError``);
* `solution_parts`: a reference solution cut into the parts notebooks are made of;
* `notebook_cells`: cells and notebooks whose text is the same on every run;
* `student_notebooks`: the student notebooks ``assignments/NAME.ipynb``;
* `nbgrader_course`: an nbgrader course folder (``autograder nbgrader DIR``);
* `lecture_notebooks`: the lecture notebooks ``coursework/notebooks/TOPIC.ipynb``;
* `release`: ``autograder release``, which writes the stubs and both kinds of
  notebook, and tells which are out of date.

Nothing here runs or grades student code; the notebooks' check cells call
`autograder.notebook` when a student runs them.
"""
