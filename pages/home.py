import streamlit as st

st.title("Concept Depth Explorer")
st.write("Where inside a language model does a concept become linearly readable?")
