// The stand-in is started in-process through StandInServer; its entry point stays internal so that it never
// clashes with the product's Program in test projects that reference both.
internal partial class Program;
