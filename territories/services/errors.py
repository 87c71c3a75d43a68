class ReferenceDataError(Exception):
    """A reference data file is missing, corrupted or does not follow its expected format.

    The message is in French and names the file and the place (line, column, JSON entry) of the problem.
    """
