"""Assembly: journal records into communications (calls, messages, sessions). Built in the assembly issue."""
